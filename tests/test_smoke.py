from jobmon_db import TaskInstanceStatus, transition_task_instance
from tests.factories import make_task_instance


def test_happy_path_moves_task_instance_and_task(conn):
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    for status in "IORD":
        result = transition_task_instance(conn, ti, status)
        assert result.applied
    assert result.status is TaskInstanceStatus.DONE
    assert result.task_status.value == "D"
