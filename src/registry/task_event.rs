//! The DMTF TaskEvent message registry (`TaskEvent.1.0.5`): every message
//! it defines, as data, with one typed constructor per message. The task
//! engine records these in a task's `Messages` as the task moves between
//! states; each takes the task's `Id`.

message_table! {
    registry: "TaskEvent", "1.0.5";

    /// The task has begun running.
    TaskStarted => fn task_started(task_id);
        Ok,
        "The task with Id '%1' has started.",
        "None.";
    /// The task finished without problems.
    TaskCompletedOK => fn task_completed_ok(task_id);
        Ok,
        "The task with Id '%1' has completed.",
        "None.";
    /// The task finished, with warnings.
    TaskCompletedWarning => fn task_completed_warning(task_id);
        Warning,
        "The task with Id '%1' has completed with warnings.",
        "None.";
    /// The task ended because of errors.
    TaskAborted => fn task_aborted(task_id);
        Critical,
        "The task with Id '%1' has completed with errors.",
        "None.";
    /// The task was stopped early on request.
    TaskCancelled => fn task_cancelled(task_id);
        Warning,
        "Work on the task with Id '%1' was halted prior to completion due to an explicit \
         request.",
        "None.";
    /// The task was deleted.
    TaskRemoved => fn task_removed(task_id);
        Warning,
        "The task with Id '%1' was removed.",
        "None.";
    /// The task was suspended.
    TaskPaused => fn task_paused(task_id);
        Warning,
        "The task with Id '%1' was paused.",
        "None.";
    /// The task continued after a pause.
    TaskResumed => fn task_resumed(task_id);
        Ok,
        "The task with Id '%1' was resumed.",
        "None.";
    /// The task's `PercentComplete` changed.
    TaskProgressChanged => fn task_progress_changed(task_id, percent);
        Ok,
        "The task with Id '%1' has changed to progress %2 percent complete.",
        "None.";

}
