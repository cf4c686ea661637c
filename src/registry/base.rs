//! The DMTF Base message registry (`Base.1.22.1`): the subset of its
//! messages this service emits, as data, with one typed constructor per
//! message. Error bodies and `@Message.ExtendedInfo` are built from these.
//!
//! Constructor parameters follow the registry's argument order; any
//! `Display` value is accepted and rendered with `to_string`.

message_table! {
    registry: "Base", "1.22.1";

    /// The request completed as asked.
    Success => fn success();
        Ok,
        "The request completed successfully.",
        "None.";
    /// A failure with no more specific message; prefer a precise one.
    GeneralError => fn general_error();
        Critical,
        "A general error has occurred.  See Resolution for information on how to resolve the \
         error, or @Message.ExtendedInfo if Resolution is not provided.",
        "None.";
    /// A POST created a resource.
    Created => fn created();
        Ok,
        "The resource was created successfully.",
        "None.";
    /// The body held nothing to act on, so nothing changed.
    NoOperation => fn no_operation();
        Warning,
        "The request body submitted contain no data to act upon and no changes to the \
         resource took place.",
        "Add properties in the JSON object and resubmit the request.";
    /// A property appeared twice in the body.
    PropertyDuplicate => fn property_duplicate(property);
        Warning,
        "The property %1 was duplicated in the request.",
        "Remove the duplicate property from the request body and resubmit the request if the \
         operation failed.";
    /// A body property is not part of the resource.
    PropertyUnknown => fn property_unknown(property);
        Warning,
        "The property %1 is not in the list of valid properties for the resource.",
        "Remove the unknown property from the request body and resubmit the request if the \
         operation failed.";
    /// A property value has the wrong JSON type.
    PropertyValueTypeError => fn property_value_type_error(value, property);
        Warning,
        "The value '%1' for the property %2 is not a type that the property can accept.",
        "Correct the value for the property in the request body and resubmit the request if \
         the operation failed.";
    /// A property value has the right type but a bad format.
    PropertyValueFormatError => fn property_value_format_error(value, property);
        Warning,
        "The value '%1' for the property %2 is not a format that the property can accept.",
        "Correct the value for the property in the request body and resubmit the request if \
         the operation failed.";
    /// A property value is not one of its allowed enum members.
    PropertyValueNotInList => fn property_value_not_in_list(value, property);
        Warning,
        "The value '%1' for the property %2 is not in the list of acceptable values.",
        "Choose a value from the enumeration list that the implementation can support and \
         resubmit the request if the operation failed.";
    /// A property value lies outside its supported range.
    PropertyValueOutOfRange => fn property_value_out_of_range(value, property);
        Warning,
        "The value '%1' for the property %2 is not in the supported range of acceptable \
         values.",
        "Correct the value for the property in the request body and resubmit the request if \
         the operation failed.";
    /// A PATCH tried to set a read-only property.
    PropertyNotWritable => fn property_not_writable(property);
        Warning,
        "The property %1 is a read-only property and cannot be assigned a value.",
        "Remove the property from the request body and resubmit the request if the operation \
         failed.";
    /// A required property was absent from the body.
    PropertyMissing => fn property_missing(property);
        Warning,
        "The property %1 is a required property and must be included in the request.",
        "Ensure that the property is in the request body and has a valid value and resubmit \
         the request if the operation failed.";
    /// The body could not be parsed as JSON.
    MalformedJSON => fn malformed_json();
        Critical,
        "The request body submitted was malformed JSON and could not be parsed by the \
         receiving service.",
        "Ensure that the request body is valid JSON and resubmit the request.";
    /// The body was an empty JSON object.
    EmptyJSON => fn empty_json();
        Warning,
        "The request body submitted contained an empty JSON object and the service is unable \
         to process it.",
        "Add properties in the JSON object and resubmit the request.";
    /// The resource does not offer the named action.
    ActionNotSupported => fn action_not_supported(action);
        Critical,
        "The action %1 is not supported by the resource.",
        "Check the Actions property in the resource for the supported actions.";
    /// An action was posted without a required parameter.
    ActionParameterMissing => fn action_parameter_missing(action, parameter);
        Critical,
        "The action %1 requires the parameter %2 to be present in the request body.",
        "Supply the action with the required parameter in the request body when the request \
         is resubmitted.";
    /// An action parameter was given more than once.
    ActionParameterDuplicate => fn action_parameter_duplicate(action, parameter);
        Warning,
        "The action %1 was submitted with more than one value for the parameter %2.",
        "Resubmit the action with only one instance of the action parameter in the request \
         body if the operation failed.";
    /// An action was posted with a parameter it does not define.
    ActionParameterUnknown => fn action_parameter_unknown(action, parameter);
        Warning,
        "The action %1 was submitted with the invalid parameter %2.",
        "Correct the invalid action parameter and resubmit the request if the operation \
         failed.";
    /// An action parameter value has the wrong JSON type.
    ActionParameterValueTypeError => fn action_parameter_value_type_error(value, parameter, action);
        Warning,
        "The value '%1' for the parameter %2 in the action %3 is not a type that the \
         parameter can accept.",
        "Correct the value for the parameter in the request body and resubmit the request if \
         the operation failed.";
    /// An action parameter value has a bad format.
    ActionParameterValueFormatError =>
        fn action_parameter_value_format_error(value, parameter, action);
        Warning,
        "The value '%1' for the parameter %2 in the action %3 is not a format that the \
         parameter can accept.",
        "Correct the value for the parameter in the request body and resubmit the request if \
         the operation failed.";
    /// An action parameter value is not one of its allowed values.
    ActionParameterValueNotInList =>
        fn action_parameter_value_not_in_list(value, parameter, action);
        Warning,
        "The value '%1' for the parameter %2 in the action %3 is not in the list of \
         acceptable values.",
        "Choose a value from the enumeration list that the implementation can support and \
         resubmit the request if the operation failed.";
    /// An action parameter value lies outside its range.
    ActionParameterValueOutOfRange =>
        fn action_parameter_value_out_of_range(value, parameter, action);
        Warning,
        "The value '%1' for the parameter %2 in the action %3 is not in the supported range \
         of acceptable values.",
        "Correct the value for the parameter in the request body and resubmit the request if \
         the operation failed.";
    /// An action parameter value is invalid (value not echoed).
    ActionParameterValueError => fn action_parameter_value_error(parameter, action);
        Warning,
        "The value for the parameter %1 in the action %2 is invalid.",
        "Correct the value for the parameter in the request body and resubmit the request if \
         the operation failed.";
    /// A defined action parameter is not supported here.
    ActionParameterNotSupported => fn action_parameter_not_supported(parameter, action);
        Warning,
        "The parameter %1 for the action %2 is not supported on the target resource.",
        "Remove the parameter supplied and resubmit the request if the operation failed.";
    /// A query parameter value has the wrong type.
    QueryParameterValueTypeError => fn query_parameter_value_type_error(value, parameter);
        Warning,
        "The value '%1' for the query parameter %2 is not a type that the parameter can \
         accept.",
        "Correct the value for the query parameter in the request and resubmit the request if \
         the operation failed.";
    /// A query parameter value has a bad format.
    QueryParameterValueFormatError => fn query_parameter_value_format_error(value, parameter);
        Warning,
        "The value '%1' for the parameter %2 is not a format that the parameter can accept.",
        "Correct the value for the query parameter in the request and resubmit the request if \
         the operation failed.";
    /// A query parameter value is invalid (value not echoed).
    QueryParameterValueError => fn query_parameter_value_error(parameter);
        Warning,
        "The value for the parameter %1 is invalid.",
        "Correct the value for the query parameter in the request and resubmit the request if \
         the operation failed.";
    /// A query parameter value (e.g. `$skip`) is out of its valid range.
    QueryParameterOutOfRange => fn query_parameter_out_of_range(value, parameter, range);
        Warning,
        "The value '%1' for the query parameter %2 is out of range %3.",
        "Reduce the value for the query parameter to a value that is within range, such as a \
         start or count value that is within bounds of the number of resources in a \
         collection or a page number that is within the range of valid pages.";
    /// This resource accepts no query parameters.
    QueryNotSupportedOnResource => fn query_not_supported_on_resource();
        Warning,
        "Querying is not supported on the requested resource.",
        "Remove the query parameters and resubmit the request if the operation failed.";
    /// The service implements no query parameters.
    QueryNotSupported => fn query_not_supported();
        Warning,
        "Querying is not supported by the implementation.",
        "Remove the query parameters and resubmit the request if the operation failed.";
    /// The service does not implement this query parameter.
    QueryParameterUnsupported => fn query_parameter_unsupported(parameter);
        Warning,
        "Query parameter '%1' is not supported.",
        "Correct or remove the query parameter and resubmit the request.";
    /// A DELETE targeted a resource that cannot be deleted.
    ResourceCannotBeDeleted => fn resource_cannot_be_deleted();
        Critical,
        "The delete request failed because the resource requested cannot be deleted.",
        "Do not attempt to delete a non-deletable resource.";
    /// The resource is busy or in transition and cannot change now.
    ResourceInUse => fn resource_in_use();
        Warning,
        "The change to the requested resource failed because the resource is in use or in \
         transition.",
        "Remove the condition and resubmit the request if the operation failed.";
    /// No resource of this type with this `Id` exists.
    ResourceNotFound => fn resource_not_found(resource_type, id);
        Critical,
        "The requested resource of type %1 named '%2' was not found.",
        "Provide a valid resource identifier and resubmit the request.";
    /// The request body exceeds the size limit.
    PayloadTooLarge => fn payload_too_large();
        Critical,
        "The supplied payload exceeds the maximum size supported by the service.",
        "Check that the supplied payload is correct and supported by this service.";
    /// No resource is served at the URI.
    InvalidURI => fn invalid_uri(uri);
        Critical,
        "The URI %1 was not found.",
        "Provide a valid URI and resubmit the request.";
    /// A collection is full and accepts no more members.
    CreateLimitReachedForResource => fn create_limit_reached_for_resource();
        Critical,
        "The create operation failed because the resource has reached the limit of possible \
         resources.",
        "Either delete resources and resubmit the request if the operation failed or do not \
         resubmit the request.";
    /// The service is stopping and refuses new work.
    ServiceShuttingDown => fn service_shutting_down();
        Critical,
        "The operation failed because the service is shutting down and can no longer take \
         incoming requests.",
        "When the service becomes available, resubmit the request if the operation failed.";
    /// An internal failure; details go to the log only.
    InternalError => fn internal_error();
        Critical,
        "The request failed due to an internal service error.  The service is still \
         operational.",
        "Resubmit the request.  If the problem persists, consider resetting the service.";
    /// The body parsed but could not be interpreted.
    UnrecognizedRequestBody => fn unrecognized_request_body();
        Warning,
        "The service detected a malformed request body that it was unable to interpret.",
        "Correct the request body and resubmit the request if it failed.";
    /// A URI given in the body names no resource.
    ResourceMissingAtURI => fn resource_missing_at_uri(uri);
        Critical,
        "The resource at the URI '%1' was not found.",
        "Place a valid resource at the URI or correct the URI and resubmit the request.";
    /// The service is busy; retry after the given number of seconds.
    ServiceTemporarilyUnavailable => fn service_temporarily_unavailable(retry_after_seconds);
        Critical,
        "The service is temporarily unavailable.  Retry in %1 seconds.",
        "Wait for the indicated retry duration and retry the operation.";
    /// The `If-Match` ETag did not match the resource.
    PreconditionFailed => fn precondition_failed();
        Critical,
        "The ETag supplied did not match the ETag required to change this resource.",
        "Try the operation again using the appropriate ETag.";
    /// The resource requires an `If-Match` or `If-None-Match` header.
    PreconditionRequired => fn precondition_required();
        Critical,
        "A precondition header or annotation is required to change this resource.",
        "Try the operation again using an If-Match or If-None-Match header and appropriate \
         ETag.";
    /// A required request header was absent.
    HeaderMissing => fn header_missing(header);
        Critical,
        "Required header '%1' is missing in the request.",
        "Resubmit the request with the required request header.";
    /// A request header had an invalid value.
    HeaderInvalid => fn header_invalid(header);
        Critical,
        "Header '%1' is invalid.",
        "Resubmit the request with a valid request header.";
    /// Part of the request failed; results may be partial.
    OperationFailed => fn operation_failed();
        Warning,
        "An error occurred internal to the service as part of the overall request.  Partial \
         results may have been returned.",
        "Resubmit the request.  If the problem persists, consider resetting the service or \
         provider.";
    /// Part of the request timed out; results may be partial.
    OperationTimeout => fn operation_timeout();
        Warning,
        "A timeout internal to the service occurred as part of the request.  Partial results \
         may have been returned.",
        "Resubmit the request.  If the problem persists, consider resetting the service or \
         provider.";
    /// The HTTP method is not allowed on the resource.
    OperationNotAllowed => fn operation_not_allowed();
        Critical,
        "The HTTP method is not allowed on this resource.",
        "None.";
    /// The service at the URI is disabled (e.g. `ServiceEnabled` false).
    ServiceDisabled => fn service_disabled(uri);
        Warning,
        "The operation failed because the service at %1 is disabled and cannot accept \
         requests.",
        "Enable the service and resubmit the request if the operation failed.";
    /// The resource lacks the capacity to satisfy the request.
    ResourceExhaustion => fn resource_exhaustion(uri);
        Critical,
        "The resource '%1' was unable to satisfy the request due to unavailability of \
         resources.",
        "Ensure that the resources are available and resubmit the request.";
    /// An action parameter value conflicts with the implementation's constraints.
    ActionParameterValueConflict => fn action_parameter_value_conflict(parameter, value);
        Warning,
        "The parameter '%1' with the requested value of '%2' does not meet the constraints of \
         the implementation.",
        "None.";
    /// Writing a property would conflict with another property's value.
    PropertyValueConflict => fn property_value_conflict(property, other_property);
        Warning,
        "The property '%1' could not be written because its value would conflict with the \
         value of the '%2' property.",
        "None.";

}
