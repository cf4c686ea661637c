#!/usr/bin/env python3
"""Drive a running taskfish server with two third-party Redfish clients.

Part (a) uses DMTF's python-redfish-library: it reads the ResetType values a
ComputerSystem offers, runs every one of them from a power state where it
means something, follows each task monitor with the library's own
`is_processing` / `monitor()` support, and checks PowerState afterwards; it
also checks that restarts and Nmi are refused with 409 while the system is
Off, and runs every Manager reset. Part (b) does the same with OpenStack
sushy's `reset_system` / `reset_manager`, using sushy's TaskMonitor to wait.

Each case prints one PASS or FAIL line; the last line is
`N passed, N failed`, and the exit status is 1 when any case failed.
Every wait is bounded by WAIT_SECONDS.
"""

import argparse
import sys
import time
import traceback

WAIT_SECONDS = 30.0
# The server runs with --time-scale 0.01, so work finishes long before a
# Retry-After given in whole seconds; polls are capped at this interval.
POLL_CAP_SECONDS = 0.2

SYSTEM_RESETS = {
    "On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart",
    "Nmi", "ForceOn", "PushPowerButton", "PowerCycle", "FullPowerCycle",
}
MANAGER_RESETS = {"GracefulRestart", "ForceRestart"}

# (ResetType, PowerState to start from, PowerState expected afterwards).
# Starting from the state already asked for checks the no-op path.
SYSTEM_PLAN = [
    ("On", "Off", "On"),
    ("On", "On", "On"),
    ("ForceOn", "Off", "On"),
    ("ForceOn", "On", "On"),
    ("GracefulRestart", "On", "On"),
    ("ForceRestart", "On", "On"),
    ("Nmi", "On", "On"),
    ("PowerCycle", "On", "On"),
    ("FullPowerCycle", "On", "On"),
    ("GracefulShutdown", "On", "Off"),
    ("GracefulShutdown", "Off", "Off"),
    ("ForceOff", "On", "Off"),
    ("ForceOff", "Off", "Off"),
    ("PushPowerButton", "Off", "On"),
    ("PushPowerButton", "On", "Off"),
]
# Resets that need a running system: refused with 409 while it is Off.
REFUSED_WHEN_OFF = ["GracefulRestart", "ForceRestart", "Nmi"]


class Tally:
    """Counts cases and prints one PASS/FAIL line for each."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, case, *args):
        """Run case(*args); a raised exception makes the case fail."""
        try:
            detail = case(*args)
        except Exception as err:  # any error is this case's failure
            self.failed += 1
            print(f"FAIL {name}: {type(err).__name__}: {err}", flush=True)
            if not isinstance(err, AssertionError):
                traceback.print_exception(err, limit=-3, chain=False, file=sys.stdout)
            return False
        self.passed += 1
        print(f"PASS {name}" + (f" ({detail})" if detail else ""), flush=True)
        return True


def poll_interval(retry_after):
    """Seconds to sleep before the next poll, given a Retry-After value."""
    try:
        seconds = float(retry_after)
    except (TypeError, ValueError):
        seconds = POLL_CAP_SECONDS
    return max(0.01, min(seconds, POLL_CAP_SECONDS))


def success_message(body):
    """True when the body carries a *.Success message in ExtendedInfo."""
    infos = body.get("@Message.ExtendedInfo") or []
    return any(str(m.get("MessageId", "")).endswith(".Success") for m in infos)


def check_plan_covers(offered, planned, kind):
    """Every offered value must be exercised and the offer must be complete."""
    unplanned = sorted(set(offered) - set(planned))
    assert not unplanned, f"{kind} offers {unplanned}, which this harness never runs"
    missing = sorted(planned - set(offered))
    assert not missing, f"{kind} does not offer {missing}"
    return ", ".join(sorted(offered))


# ---------------------------------------------------------------- (a) redfish


class RedfishDriver:
    """Resets through DMTF's python-redfish-library."""

    def __init__(self, url):
        import redfish

        self.client = redfish.redfish_client(
            base_url=url, username="admin", password="admin",
            timeout=10, max_retry=1)
        # Basic auth checks the credentials with one GET; taskfish has no
        # authentication, so anything but 401 is accepted by the library.
        self.client.login(auth="basic")

    def get(self, path, expect=200):
        """GET path, check the status, return the JSON body."""
        resp = self.client.get(path)
        assert resp.status == expect, f"GET {path} answered {resp.status}"
        return resp.dict

    def first_member(self, collection):
        """The @odata.id of the first member of a collection."""
        members = self.get(collection).get("Members") or []
        assert members, f"{collection} has no members"
        return sorted(m["@odata.id"] for m in members)[0]

    def reset(self, target, reset_type):
        """POST a reset and follow its task monitor to the final answer."""
        resp = self.client.post(target, body={"ResetType": reset_type})
        if resp.status in (200, 204):
            return "completed synchronously"
        assert resp.status == 202, \
            f"POST {target} answered {resp.status}: {resp.text[:300]}"
        task_uri = self.check_accepted(resp)

        deadline = time.monotonic() + WAIT_SECONDS
        polls = 0
        while resp.is_processing:
            assert time.monotonic() < deadline, \
                f"task monitor still 202 after {WAIT_SECONDS}s"
            time.sleep(poll_interval(resp.retry_after))
            resp = resp.monitor(self.client)
            polls += 1

        assert resp.status == 200, \
            f"finished monitor answered {resp.status}: {resp.text[:300]}"
        assert success_message(resp.dict), \
            f"finished monitor has no Success message: {resp.text[:300]}"
        state = self.get(task_uri).get("TaskState")
        assert state == "Completed", f"Task {task_uri} is {state}"
        return f"{polls} monitor polls"

    @staticmethod
    def check_accepted(resp):
        """Check a 202 answer: path-only Location, Retry-After, Task body."""
        location = resp.task_location
        assert location and location.startswith("/"), \
            f"Location {location!r} is not a path"
        retry_after = resp.getheader("retry-after")
        assert retry_after and retry_after.isdigit(), \
            f"Retry-After {retry_after!r} is not whole seconds"
        task = resp.dict
        assert str(task.get("@odata.type", "")).startswith("#Task."), \
            f"202 body is not a Task: {resp.text[:300]}"
        assert task.get("TaskMonitor") == location, \
            f"TaskMonitor {task.get('TaskMonitor')!r} != Location {location!r}"
        task_uri = task.get("@odata.id", "")
        assert task_uri.startswith("/redfish/v1/TaskService/Tasks/"), \
            f"Task @odata.id {task_uri!r}"
        return task_uri

    def power_state(self, system):
        """The system's PowerState."""
        return self.get(system).get("PowerState")

    def refuse(self, target, reset_type):
        """POST a reset that must be refused with 409 and an error body."""
        resp = self.client.post(target, body={"ResetType": reset_type})
        assert resp.status == 409, f"answered {resp.status}, expected 409"
        error = resp.dict.get("error", {})
        assert error.get("@Message.ExtendedInfo"), \
            f"409 without error.@Message.ExtendedInfo: {resp.text[:300]}"


def redfish_cases(url, tally):
    """Part (a): python-redfish-library against the server at url."""
    box = {}

    def connect():
        box["rf"] = RedfishDriver(url)
        rf = box["rf"]
        box["system"] = rf.first_member("/redfish/v1/Systems")
        box["manager"] = rf.first_member("/redfish/v1/Managers")
        return f"system {box['system']}, manager {box['manager']}"

    if not tally.run("redfish: connect and find resources", connect):
        return
    rf, system = box["rf"], box["system"]

    def read_action():
        action = rf.get(system)["Actions"]["#ComputerSystem.Reset"]
        box["target"] = action["target"]
        box["offered"] = action["ResetType@Redfish.AllowableValues"]
        return check_plan_covers(box["offered"], SYSTEM_RESETS, "ComputerSystem")

    tally.run("redfish: ComputerSystem ResetType@Redfish.AllowableValues",
              read_action)
    target, offered = box.get("target"), box.get("offered", [])
    if not target:
        return

    def settle(state):
        """Bring the system to state with On or ForceOff."""
        if rf.power_state(system) != state:
            rf.reset(target, "On" if state == "On" else "ForceOff")
        assert rf.power_state(system) == state, f"could not reach {state}"

    def run_step(reset_type, start, expect):
        settle(start)
        detail = rf.reset(target, reset_type)
        state = rf.power_state(system)
        assert state == expect, f"PowerState {state}, expected {expect}"
        return detail

    for reset_type, start, expect in SYSTEM_PLAN:
        if reset_type in offered:
            tally.run(f"redfish: system {reset_type} from {start} -> {expect}",
                      run_step, reset_type, start, expect)

    def refused(reset_type):
        settle("Off")
        rf.refuse(target, reset_type)
        state = rf.power_state(system)
        assert state == "Off", f"PowerState {state} after a refused reset"

    for reset_type in REFUSED_WHEN_OFF:
        if reset_type in offered:
            tally.run(f"redfish: system {reset_type} while Off -> 409",
                      refused, reset_type)
    tally.run("redfish: leave the system On", settle, "On")

    manager = box["manager"]

    def manager_action():
        action = rf.get(manager)["Actions"]["#Manager.Reset"]
        box["mtarget"] = action["target"]
        box["moffered"] = action["ResetType@Redfish.AllowableValues"]
        return check_plan_covers(box["moffered"], MANAGER_RESETS, "Manager")

    tally.run("redfish: Manager ResetType@Redfish.AllowableValues",
              manager_action)

    def manager_reset(reset_type):
        detail = rf.reset(box["mtarget"], reset_type)
        body = rf.get(manager)
        state = body.get("PowerState", "On")
        assert state == "On", f"Manager PowerState {state} after the reset"
        return detail

    for reset_type in box.get("moffered", []):
        tally.run(f"redfish: manager {reset_type}", manager_reset, reset_type)


# ------------------------------------------------------------------ (b) sushy


class SushyDriver:
    """Resets through OpenStack sushy."""

    def __init__(self, url):
        import sushy
        from sushy import auth

        self.sushy = sushy
        self.root = sushy.Sushy(
            url, auth=auth.BasicAuth(username="admin", password="admin"),
            verify=False, server_side_retries=1, server_side_retries_delay=1,
            read_timeout=10)

    def task_ids(self):
        """Identities of the Tasks that exist now."""
        tasks = self.root.get_task_service().tasks
        return set(tasks.members_identities)

    def wait_new_tasks(self, before):
        """Follow the monitor of each Task created since `before`."""
        new = sorted(self.task_ids() - before)
        for identity in new:
            task = self.root.get_task_service().tasks.get_member(identity)
            assert task.task_monitor, f"Task {identity} has no TaskMonitor"
            monitor = self.root.get_task_monitor(task.task_monitor)
            deadline = time.monotonic() + WAIT_SECONDS
            while monitor.is_processing:
                assert time.monotonic() < deadline, \
                    f"{task.task_monitor} still 202 after {WAIT_SECONDS}s"
                time.sleep(poll_interval(monitor.sleep_for))
                monitor.refresh()
            status = monitor.response.status_code
            assert status == 200, f"finished monitor answered {status}"
            assert success_message(monitor.response.json()), \
                "finished monitor has no Success message"
        return len(new)

    def wait_power_state(self, system, expect):
        """Refresh the system until PowerState is expect, within the limit."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            system.refresh()
            state = system.power_state.value if system.power_state else None
            if state == expect or time.monotonic() >= deadline:
                return state
            time.sleep(POLL_CAP_SECONDS)

    def reset_system(self, system, value):
        """reset_system and wait for its task; the number of tasks seen."""
        before = self.task_ids()
        system.reset_system(self.sushy.ResetType(value))
        return self.wait_new_tasks(before)


def sushy_cases(url, tally):
    """Part (b): sushy against the server at url."""
    box = {}

    def connect():
        drv = box["drv"] = SushyDriver(url)
        systems = drv.root.get_system_collection().members_identities
        managers = drv.root.get_manager_collection().members_identities
        assert systems and managers, "no systems or no managers"
        box["system"] = drv.root.get_system(sorted(systems)[0])
        box["manager"] = drv.root.get_manager(sorted(managers)[0])
        return f"system {box['system'].identity}, manager {box['manager'].identity}"

    if not tally.run("sushy: connect and find resources", connect):
        return
    drv, system = box["drv"], box["system"]
    supported = {v.value for v in drv.sushy.ResetType}

    def allowed():
        values = {v.value for v in system.get_allowed_reset_system_values()}
        box["allowed"] = values
        want = SYSTEM_RESETS & supported
        assert values == want, f"sushy sees {sorted(values)}, expected {sorted(want)}"
        return ", ".join(sorted(values))

    tally.run("sushy: get_allowed_reset_system_values", allowed)
    values = box.get("allowed", set())

    def settle(state):
        system.refresh()
        if system.power_state and system.power_state.value == state:
            return
        drv.reset_system(system, "On" if state == "On" else "ForceOff")
        reached = drv.wait_power_state(system, state)
        assert reached == state, f"could not reach {state}"

    def run_step(value, start, expect):
        settle(start)
        tasks = drv.reset_system(system, value)
        state = drv.wait_power_state(system, expect)
        assert state == expect, f"power_state {state}, expected {expect}"
        return f"{tasks} task(s) followed"

    for value, start, expect in SYSTEM_PLAN:
        if value in values:
            tally.run(f"sushy: reset_system {value} from {start} -> {expect}",
                      run_step, value, start, expect)

    def refused(value):
        settle("Off")
        try:
            system.reset_system(drv.sushy.ResetType(value))
        except drv.sushy.exceptions.HTTPError as err:
            assert err.status_code == 409, f"HTTP {err.status_code}, expected 409"
        else:
            raise AssertionError("reset accepted while Off, expected 409")

    if "GracefulRestart" in values:
        tally.run("sushy: reset_system GracefulRestart while Off -> 409",
                  refused, "GracefulRestart")
    tally.run("sushy: leave the system On", settle, "On")

    manager = box["manager"]

    def manager_allowed():
        values = {v.value for v in manager.get_allowed_reset_manager_values()}
        box["manager_values"] = sorted(values)
        want = MANAGER_RESETS & supported
        assert values == want, f"sushy sees {sorted(values)}, expected {sorted(want)}"
        return ", ".join(sorted(values))

    def manager_reset(value):
        before = drv.task_ids()
        manager.reset_manager(drv.sushy.ResetType(value))
        return f"{drv.wait_new_tasks(before)} task(s) followed"

    tally.run("sushy: get_allowed_reset_manager_values", manager_allowed)
    for value in box.get("manager_values", []):
        tally.run(f"sushy: reset_manager {value}", manager_reset, value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:4000")
    args = parser.parse_args()

    tally = Tally()
    redfish_cases(args.url.rstrip("/"), tally)
    sushy_cases(args.url.rstrip("/"), tally)
    print(f"{tally.passed} passed, {tally.failed} failed", flush=True)
    return 1 if tally.failed or not tally.passed else 0


if __name__ == "__main__":
    sys.exit(main())
