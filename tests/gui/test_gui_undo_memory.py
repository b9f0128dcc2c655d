"""Undo keeps states alive (a branch's old rows, for undo): bounded by a
memory budget, the oldest changes dropped and said so."""

ROW_BYTES = 13 * 8   # a recorded state: 13 float64 (plain gradient descent)
STEPS = 60_000       # about 6 MB of rows a round


def rounds(window, count):
    """The attack of the issue, scaled down: run, then edit at step 0, again and again."""
    for i in range(count):
        window.state.train(STEPS)
        window.state.move_to(0)
        window.actionConfirmBranch.setChecked(False)
        window.set_value("W1", 0.5 + 0.01 * (i + 1))


def test_without_a_bound_undo_keeps_every_branch(window):
    window.state.memory_budget = float("inf")
    rounds(window, 4)
    # Each round's 60,001 states stay alive for undo, and the shown branch has one.
    assert window.state.held_bytes() >= 4 * (STEPS + 1) * ROW_BYTES
    assert window.state.undo_floor == 0


def test_undo_drops_its_oldest_changes_beyond_the_budget(window, qtbot):
    budget = 15 * 2 ** 20
    window.state.memory_budget = budget
    rounds(window, 8)
    state, stack = window.state, window.state.undo_stack
    assert state.held_bytes() <= budget
    assert state.undo_floor > 0
    assert "dropped to save memory" in stack.text(0)
    assert "dropped" in window.undo_view.emptyLabel()
    # Undo goes back as far as the floor, then stops, and what it shows is consistent.
    while window.actionUndo.isEnabled():
        window.actionUndo.trigger()
    assert stack.index() == state.undo_floor
    last = state.last
    values = state.edited_values(0)
    stack.setIndex(0)                     # a click on "Start" in View → Changes
    assert stack.index() == state.undo_floor and state.last == last and state.edited_values(0) == values
    # The newest change can always be undone and redone.
    while stack.canRedo():
        window.actionRedo.trigger()
    assert state.edited_values(0)["W1"] == 0.5 + 0.01 * 8
    window.actionUndo.trigger()
    assert state.edited_values(0)["W1"] == 0.5 + 0.01 * 7


def test_new_session_clears_the_floor(window):
    window.state.memory_budget = 15 * 2 ** 20
    rounds(window, 6)
    assert window.state.undo_floor > 0
    window.state.undo_stack.setClean()
    window.sessions.new()
    assert window.state.undo_floor == 0 and window.undo_view.emptyLabel() == "Start"
    assert window.actionUndo.isEnabled() is False
