//! The simulated machine's power model: which resets a computer system or
//! a manager accepts in which power state, and the timed steps a reset
//! walks through. Pure logic with no clocks: the engine turns a [`Plan`]
//! into a running task, scales the base durations and applies each step's
//! `PowerState` to the resource as the step begins.
//!
//! Decisions, in the order [`plan`] takes them:
//!
//! 1. A reset the target does not offer is refused ([`Refusal::NotOffered`]).
//! 2. A machine in transition (`PoweringOn`, `PoweringOff`) is refused
//!    ([`Refusal::InTransition`]); whether to queue or reject such a request
//!    is the caller's policy, this module only never plans from one.
//! 3. A reset that makes no sense in the settled state is refused
//!    ([`Refusal::WrongState`]): restarts and `Nmi` need a running system;
//!    a `Paused` system (powered but halted, and `Resume` is not offered)
//!    accepts only the forced resets; a manager is always `On`.
//! 4. A reset already satisfied (`On`/`ForceOn` when `On`, `ForceOff`/
//!    `GracefulShutdown` when `Off`) yields a plan with zero steps: the
//!    request succeeds at once with nothing to do, as a real BMC answers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A machine's power state; names equal the Redfish `Resource.PowerState`
/// members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PowerState {
    /// Powered and running.
    On,
    /// Powered off.
    Off,
    /// On the way to `On`.
    PoweringOn,
    /// On the way to `Off`.
    PoweringOff,
    /// Powered but halted.
    Paused,
}

impl PowerState {
    /// Every member, in schema order.
    pub const ALL: [PowerState; 5] = [
        PowerState::On,
        PowerState::Off,
        PowerState::PoweringOn,
        PowerState::PoweringOff,
        PowerState::Paused,
    ];

    /// The Redfish member name.
    pub fn as_str(self) -> &'static str {
        match self {
            PowerState::On => "On",
            PowerState::Off => "Off",
            PowerState::PoweringOn => "PoweringOn",
            PowerState::PoweringOff => "PoweringOff",
            PowerState::Paused => "Paused",
        }
    }

    /// The member with this exact Redfish name, if any.
    pub fn from_name(name: &str) -> Option<PowerState> {
        PowerState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the machine is between two settled states.
    pub fn is_transitional(self) -> bool {
        matches!(self, PowerState::PoweringOn | PowerState::PoweringOff)
    }
}

impl fmt::Display for PowerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reset this service offers; names equal the Redfish
/// `Resource.ResetType` members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResetType {
    /// Power on.
    On,
    /// Power off at once.
    ForceOff,
    /// Let the operating system shut down, then power off.
    GracefulShutdown,
    /// Graceful shutdown, then power on.
    GracefulRestart,
    /// Immediate power off, then power on.
    ForceRestart,
    /// Raise a diagnostic (non-maskable) interrupt.
    Nmi,
    /// Power on at once.
    ForceOn,
    /// Act as if the power button were pressed.
    PushPowerButton,
    /// Off, a short dwell, then on, with external power kept.
    PowerCycle,
    /// As if AC power were removed and restored.
    FullPowerCycle,
}

impl ResetType {
    /// The resets a computer system offers, in schema order.
    pub const ALL: [ResetType; 10] = [
        ResetType::On,
        ResetType::ForceOff,
        ResetType::GracefulShutdown,
        ResetType::GracefulRestart,
        ResetType::ForceRestart,
        ResetType::Nmi,
        ResetType::ForceOn,
        ResetType::PushPowerButton,
        ResetType::PowerCycle,
        ResetType::FullPowerCycle,
    ];

    /// The resets a manager offers.
    pub const MANAGER_ALL: [ResetType; 2] = [ResetType::GracefulRestart, ResetType::ForceRestart];

    /// The Redfish member name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResetType::On => "On",
            ResetType::ForceOff => "ForceOff",
            ResetType::GracefulShutdown => "GracefulShutdown",
            ResetType::GracefulRestart => "GracefulRestart",
            ResetType::ForceRestart => "ForceRestart",
            ResetType::Nmi => "Nmi",
            ResetType::ForceOn => "ForceOn",
            ResetType::PushPowerButton => "PushPowerButton",
            ResetType::PowerCycle => "PowerCycle",
            ResetType::FullPowerCycle => "FullPowerCycle",
        }
    }

    /// The offered reset with this exact Redfish name. Members this service
    /// does not offer (`Suspend`, `Pause`, `Resume`) give `None`.
    pub fn from_name(name: &str) -> Option<ResetType> {
        ResetType::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for ResetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of resource is being reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A `ComputerSystem`.
    System,
    /// A `Manager` (the BMC itself).
    Manager,
}

impl Target {
    /// The resets this target offers, for `@Redfish.AllowableValues`.
    pub fn resets(self) -> &'static [ResetType] {
        match self {
            Target::System => &ResetType::ALL,
            Target::Manager => &ResetType::MANAGER_ALL,
        }
    }
}

/// One timed step of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Base duration in milliseconds, before the engine's time scaling.
    pub duration_ms: u64,
    /// The power state the machine enters when the step starts.
    pub power_state: PowerState,
    /// The task's `PercentComplete` once the step ends.
    pub percent_after: u8,
    /// What the step does, for task messages and logs.
    pub label: &'static str,
}

/// The ordered steps of a reset and the settled state it ends in.
///
/// `percent_after` strictly increases and the last step ends at 100. A plan
/// with no steps is a satisfied no-op: complete it at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The power state entered when the last step ends.
    pub final_state: PowerState,
}

impl Plan {
    /// Whether the reset was already satisfied and nothing happens.
    pub fn is_noop(&self) -> bool {
        self.steps.is_empty()
    }

    /// The sum of base durations.
    pub fn total_ms(&self) -> u64 {
        self.steps.iter().map(|s| s.duration_ms).sum()
    }

    /// Where the plan stands `elapsed_ms` (base time) after it started:
    /// the current power state and the percent of the steps completed.
    pub fn at(&self, elapsed_ms: u64) -> (PowerState, u8) {
        let mut end = 0;
        let mut percent = 0;
        for step in &self.steps {
            end += step.duration_ms;
            if elapsed_ms < end {
                return (step.power_state, percent);
            }
            percent = step.percent_after;
        }
        (self.final_state, 100)
    }
}

/// Why a reset was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The target does not offer this reset.
    NotOffered {
        /// The target asked.
        target: Target,
        /// The reset asked for.
        reset: ResetType,
    },
    /// The machine is between states and cannot be planned from.
    InTransition {
        /// The transitional state.
        current: PowerState,
    },
    /// The reset makes no sense in the machine's settled state.
    WrongState {
        /// The target asked.
        target: Target,
        /// The reset asked for.
        reset: ResetType,
        /// The settled state the machine is in.
        current: PowerState,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refusal::NotOffered { target, reset } => {
                write!(f, "a {target:?} does not offer the {reset} reset")
            }
            Refusal::InTransition { current } => {
                write!(f, "the machine is {current}; wait until it settles")
            }
            Refusal::WrongState {
                target: Target::Manager,
                current,
                ..
            } => {
                write!(f, "a manager must be On to restart but it is {current}")
            }
            Refusal::WrongState {
                reset,
                current: PowerState::Paused,
                ..
            } => write!(
                f,
                "{reset} cannot act on a Paused system; use ForceOff, ForceRestart, \
                 PowerCycle or FullPowerCycle"
            ),
            Refusal::WrongState { reset, current, .. } => {
                write!(
                    f,
                    "{reset} needs a running system but the system is {current}"
                )
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// A piece of a plan before percentages are assigned.
type Segment = (u64, PowerState, &'static str);

const GRACEFUL_OFF: &[Segment] = &[
    (
        2_000,
        PowerState::PoweringOff,
        "asking the operating system to shut down",
    ),
    (
        6_000,
        PowerState::PoweringOff,
        "waiting for the operating system to halt",
    ),
];
const FORCE_OFF: &[Segment] = &[(1_000, PowerState::PoweringOff, "cutting power")];
const POWER_ON: &[Segment] = &[
    (1_000, PowerState::PoweringOn, "powering on"),
    (
        3_000,
        PowerState::PoweringOn,
        "running the power-on self test",
    ),
    (
        2_000,
        PowerState::PoweringOn,
        "booting the operating system",
    ),
];
const CYCLE_DWELL: &[Segment] = &[(2_000, PowerState::Off, "holding power off")];
const FULL_CYCLE_DWELL: &[Segment] = &[(5_000, PowerState::Off, "holding AC power off")];
const NMI: &[Segment] = &[(500, PowerState::On, "raising a diagnostic interrupt")];
const MANAGER_GRACEFUL: &[Segment] = &[
    (1_000, PowerState::On, "stopping manager services"),
    (3_000, PowerState::PoweringOn, "restarting manager firmware"),
];
const MANAGER_FORCE: &[Segment] = &[(3_000, PowerState::PoweringOn, "restarting manager firmware")];

/// Plans `reset` on a `target` currently in `current`.
///
/// # Errors
///
/// Returns a [`Refusal`] when the target does not offer the reset, when
/// `current` is transitional, or when the reset does not apply in
/// `current` (see the module documentation for the rules).
pub fn plan(target: Target, current: PowerState, reset: ResetType) -> Result<Plan, Refusal> {
    if !target.resets().contains(&reset) {
        return Err(Refusal::NotOffered { target, reset });
    }
    if current.is_transitional() {
        return Err(Refusal::InTransition { current });
    }

    let segments = match target {
        Target::System => system_segments(current, reset),
        Target::Manager => manager_segments(current, reset),
    };
    let Some((segments, final_state)) = segments else {
        return Err(Refusal::WrongState {
            target,
            reset,
            current,
        });
    };

    Ok(Plan {
        steps: number_steps(&segments),
        final_state,
    })
}

/// The segments and final state of a system reset from a settled state,
/// or `None` when the reset does not apply there.
fn system_segments(current: PowerState, reset: ResetType) -> Option<(Vec<Segment>, PowerState)> {
    use PowerState::{Off, On, Paused};
    use ResetType as R;

    let chain = |parts: &[&[Segment]]| parts.concat();
    let planned = match (reset, current) {
        (R::On | R::ForceOn, On) => (Vec::new(), On),
        (R::On | R::ForceOn | R::PushPowerButton, Off) => (chain(&[POWER_ON]), On),
        (R::ForceOff | R::GracefulShutdown, Off) => (Vec::new(), Off),
        (R::ForceOff, On | Paused) => (chain(&[FORCE_OFF]), Off),
        (R::GracefulShutdown | R::PushPowerButton, On) => (chain(&[GRACEFUL_OFF]), Off),
        (R::GracefulRestart, On) => (chain(&[GRACEFUL_OFF, POWER_ON]), On),
        (R::ForceRestart, On | Paused) => (chain(&[FORCE_OFF, POWER_ON]), On),
        (R::Nmi, On) => (chain(&[NMI]), On),
        (R::PowerCycle, On | Paused) => (chain(&[FORCE_OFF, CYCLE_DWELL, POWER_ON]), On),
        (R::FullPowerCycle, On | Paused) => (chain(&[FORCE_OFF, FULL_CYCLE_DWELL, POWER_ON]), On),
        (R::PowerCycle | R::FullPowerCycle, Off) => (chain(&[POWER_ON]), On),
        _ => return None,
    };
    Some(planned)
}

/// The segments of a manager restart; a manager is always `On`.
fn manager_segments(current: PowerState, reset: ResetType) -> Option<(Vec<Segment>, PowerState)> {
    if current != PowerState::On {
        return None;
    }
    let segments = match reset {
        ResetType::GracefulRestart => MANAGER_GRACEFUL,
        ResetType::ForceRestart => MANAGER_FORCE,
        _ => return None,
    };
    Some((segments.to_vec(), PowerState::On))
}

/// Turns segments into steps whose percentages follow elapsed base time,
/// strictly increase and end at exactly 100.
fn number_steps(segments: &[Segment]) -> Vec<Step> {
    let total: u64 = segments.iter().map(|s| s.0).sum::<u64>().max(1);
    let count = segments.len() as u64;
    let mut elapsed = 0;
    let mut previous = 0;

    segments
        .iter()
        .zip(1..)
        .map(|(&(duration_ms, power_state, label), position)| {
            elapsed += duration_ms;
            let by_time = elapsed * 100 / total;
            let room = 100 - (count - position).min(99);
            let percent = by_time.max(previous + 1).min(room);
            previous = percent;
            Step {
                duration_ms,
                power_state,
                percent_after: u8::try_from(percent).unwrap_or(100),
                label,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settled state a successful reset must leave, per the ResetType
    /// definitions (PushPowerButton toggles; Nmi changes nothing).
    fn implied_final(reset: ResetType, current: PowerState) -> PowerState {
        use ResetType as R;
        match reset {
            R::ForceOff | R::GracefulShutdown => PowerState::Off,
            R::Nmi => current,
            R::PushPowerButton if current == PowerState::Off => PowerState::On,
            R::PushPowerButton => PowerState::Off,
            _ => PowerState::On,
        }
    }

    fn check_plan(plan: &Plan, reset: ResetType, current: PowerState) {
        assert_eq!(
            plan.final_state,
            implied_final(reset, current),
            "{reset} from {current}"
        );
        let percents: Vec<u8> = plan.steps.iter().map(|s| s.percent_after).collect();
        assert!(percents.windows(2).all(|w| w[0] < w[1]), "{percents:?}");
        if let Some(last) = percents.last() {
            assert_eq!(*last, 100);
        }
        assert!(
            plan.steps
                .iter()
                .all(|s| s.duration_ms > 0 && !s.label.is_empty())
        );
    }

    #[test]
    fn every_system_pair_refuses_or_reaches_the_implied_state() {
        for current in PowerState::ALL {
            for reset in ResetType::ALL {
                match plan(Target::System, current, reset) {
                    Ok(plan) => check_plan(&plan, reset, current),
                    Err(refusal) => assert!(!refusal.to_string().is_empty()),
                }
            }
        }
    }

    #[test]
    fn every_manager_pair_refuses_or_ends_on() {
        for current in PowerState::ALL {
            for reset in ResetType::ALL {
                let result = plan(Target::Manager, current, reset);
                let offered = ResetType::MANAGER_ALL.contains(&reset);
                match result {
                    Ok(plan) => {
                        assert!(offered && current == PowerState::On);
                        assert!(!plan.is_noop());
                        check_plan(&plan, reset, current);
                    }
                    Err(Refusal::NotOffered { .. }) => assert!(!offered),
                    Err(_) => assert!(offered && current != PowerState::On),
                }
            }
        }
    }

    #[test]
    fn transitional_states_are_refused() {
        for current in [PowerState::PoweringOn, PowerState::PoweringOff] {
            for reset in ResetType::ALL {
                let refusal = plan(Target::System, current, reset).err();
                assert_eq!(refusal, Some(Refusal::InTransition { current }));
            }
        }
    }

    #[test]
    fn satisfied_resets_are_zero_step_plans() {
        let cases = [
            (PowerState::On, ResetType::On, PowerState::On),
            (PowerState::On, ResetType::ForceOn, PowerState::On),
            (PowerState::Off, ResetType::ForceOff, PowerState::Off),
            (
                PowerState::Off,
                ResetType::GracefulShutdown,
                PowerState::Off,
            ),
        ];
        for (current, reset, settled) in cases {
            let plan = plan(Target::System, current, reset).ok();
            assert_eq!(
                plan,
                Some(Plan {
                    steps: Vec::new(),
                    final_state: settled
                })
            );
        }
    }

    #[test]
    fn running_system_is_needed_for_restart_and_nmi() {
        for reset in [
            ResetType::Nmi,
            ResetType::GracefulRestart,
            ResetType::ForceRestart,
        ] {
            let refusal = plan(Target::System, PowerState::Off, reset).err();
            assert!(
                matches!(refusal, Some(Refusal::WrongState { .. })),
                "{reset}"
            );
        }
    }

    /// The plan for a system reset that must be accepted.
    fn accepted(current: PowerState, reset: ResetType) -> Plan {
        let result = plan(Target::System, current, reset);
        assert!(result.is_ok(), "{reset} from {current}: {result:?}");
        result.unwrap_or(Plan {
            steps: Vec::new(),
            final_state: current,
        })
    }

    #[test]
    fn graceful_shutdown_takes_about_eight_seconds_through_powering_off() {
        let plan = accepted(PowerState::On, ResetType::GracefulShutdown);
        assert_eq!(plan.total_ms(), 8_000);
        assert!(
            plan.steps
                .iter()
                .all(|s| s.power_state == PowerState::PoweringOff)
        );
        assert_eq!(plan.at(0), (PowerState::PoweringOff, 0));
        assert_eq!(plan.at(2_000), (PowerState::PoweringOff, 25));
        assert_eq!(plan.at(8_000), (PowerState::Off, 100));
    }

    #[test]
    fn power_cycle_dwells_off_between_off_and_on() {
        let plan = accepted(PowerState::On, ResetType::PowerCycle);
        let states: Vec<PowerState> = plan.steps.iter().map(|s| s.power_state).collect();
        assert!(states.starts_with(&[PowerState::PoweringOff, PowerState::Off]));
        assert_eq!(states.last(), Some(&PowerState::PoweringOn));
    }

    #[test]
    fn push_power_button_toggles() {
        let from_on = plan(Target::System, PowerState::On, ResetType::PushPowerButton);
        let from_off = plan(Target::System, PowerState::Off, ResetType::PushPowerButton);
        assert_eq!(from_on.map(|p| p.final_state), Ok(PowerState::Off));
        assert_eq!(from_off.map(|p| p.final_state), Ok(PowerState::On));
    }

    #[test]
    fn nmi_is_brief_and_keeps_power() {
        let plan = accepted(PowerState::On, ResetType::Nmi);
        assert_eq!(plan.total_ms(), 500);
        assert!(plan.steps.iter().all(|s| s.power_state == PowerState::On));
    }

    #[test]
    fn names_round_trip_and_unoffered_members_are_rejected() {
        for reset in ResetType::ALL {
            assert_eq!(ResetType::from_name(reset.as_str()), Some(reset));
        }
        for state in PowerState::ALL {
            assert_eq!(PowerState::from_name(state.as_str()), Some(state));
        }
        assert_eq!(ResetType::from_name("Suspend"), None);
        assert_eq!(ResetType::from_name("on"), None);
    }

    #[test]
    fn number_steps_keeps_percent_strictly_rising_for_tiny_steps() {
        let segments: Vec<Segment> = (0..150)
            .map(|i| (if i == 0 { 1_000_000 } else { 1 }, PowerState::On, "x"))
            .collect();
        let steps = number_steps(&segments[..100]);
        let percents: Vec<u8> = steps.iter().map(|s| s.percent_after).collect();
        assert!(percents.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(percents.last(), Some(&100));
    }
}
