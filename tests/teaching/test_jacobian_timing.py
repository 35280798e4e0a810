"""The forward-against-reverse timing sweep and the `autodidact timing` command.

Tiny sweeps only, and no assertion on the measured times: the speed targets live in
benchmarks/jacobian.py, which runs on a quiet machine.
"""

from __future__ import annotations

import io
import math

import pytest
from matplotlib.figure import Figure

from autodidact.course.cli import main
from autodidact.teaching.jacobian_timing import (
    JacobianTiming,
    TextProgress,
    TimingRow,
    crossover_m,
    parse_ms,
    time_jacobians,
)

TINY = dict(n=4, ms=(2, 8), repeats=1, best_of=1, warmup_seconds=0.0)


def test_crossover_is_interpolated_on_log_scales():
    # the ratio falls from 10 to 0.1 between m = 10 and m = 1000: it passes 1 halfway, at 100
    assert crossover_m([10, 1000], [10.0, 0.1]) == pytest.approx(100.0)
    assert crossover_m([1000, 10, 30], [0.1, 4.0, 2.0]) == pytest.approx(
        math.exp(math.log(30) + math.log(2) / math.log(20) * math.log(1000 / 30))
    )
    assert crossover_m([10, 100], [3.0, 1.5]) is None
    assert crossover_m([10, 100], [0.5, 0.2]) is None


def test_a_tiny_sweep_gives_a_row_per_function_and_m():
    stream = io.StringIO()
    timing = time_jacobians(**TINY, stream=stream)
    assert isinstance(timing, JacobianTiming)
    assert timing.functions() == ["linear", "tanh"]
    assert [(row.function, row.m) for row in timing.rows] == [
        ("linear", 2),
        ("linear", 8),
        ("tanh", 2),
        ("tanh", 8),
    ]
    for row in timing.rows:
        assert row.forward_seconds > 0 and row.reverse_seconds > 0
        assert row.forward_over_reverse > 0
        assert row.faster in ("forward", "reverse")
    progress = stream.getvalue()
    assert "4/4" in progress and "tanh(A x), m = 8" in progress and progress.endswith("\n")


def test_no_progress_bar_when_asked(capsys):
    time_jacobians(**TINY, functions=("tanh",), progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def made_up_timing() -> JacobianTiming:
    rows = [TimingRow("linear", m, 1e-3, 1e-3 * m / 40, 40 / m) for m in (10, 100, 1000)] + [
        TimingRow("tanh", m, 2e-3, 2e-4, 10.0) for m in (10, 100)
    ]
    return JacobianTiming(n=100, repeats=3, rows=rows)


def test_table_lists_every_point_and_the_crossovers():
    table = made_up_timing().table()
    assert "forward (ms)" in table and "reverse (ms)" in table
    assert table.count("A x ") == 3 and table.count("tanh(A x) ") == 2
    assert "cross at m = 40 (n = 100)" in table
    assert "tanh(A x): no crossover" in table


def test_plot_has_labelled_log_axes_a_legend_and_the_crossover():
    figure = made_up_timing().plot()
    assert isinstance(figure, Figure)
    axes = figure.axes
    assert len(axes) == 2
    for panel in axes:
        assert panel.get_xscale() == panel.get_yscale() == "log"
        assert "m" in panel.get_xlabel() and "(ms)" in panel.get_ylabel()
        assert panel.get_legend() is not None
    labels = [text.get_text() for text in axes[0].get_legend().get_texts()]
    assert "crossover m = 40" in labels and "forward (jacfwd)" in labels


def test_plot_draws_into_given_axes():
    figure = Figure()
    axes = figure.subplots(1, 2)
    assert made_up_timing().plot(axes) is figure
    with pytest.raises(ValueError, match="one per function"):
        made_up_timing().plot([axes[0]])


@pytest.mark.parametrize(
    "arguments, words",
    [
        (dict(n=0), "positive"),
        (dict(ms=(10, 0)), "positive"),
        (dict(functions=("cubic",)), "unknown function"),
        (dict(repeats=0), "at least 1"),
    ],
)
def test_bad_sweeps_are_refused(arguments, words):
    with pytest.raises(ValueError, match=words):
        time_jacobians(**(TINY | arguments))


def test_progress_bar_draws_in_place():
    stream = io.StringIO()
    bar = TextProgress(2, stream, width=4)
    bar.advance("a")
    bar.advance("b")
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 3 and "[####] 2/2" in text and text.endswith("\n")


def test_parse_ms_sorts_and_deduplicates():
    assert parse_ms("100, 10,30,10") == [10, 30, 100]


def test_the_command_prints_the_table_and_saves_the_plot(tmp_path, capsys):
    out = tmp_path / "timing.png"
    status = main(["timing", "--n", "4", "--m", "2,8", "--repeats", "1", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert out.read_bytes().startswith(b"\x89PNG")
    assert "Full Jacobian of f: R^4 -> R^m" in captured.out
    assert "tanh(A x)" in captured.out and f"plot saved to {out}" in captured.out
    assert "timing [" in captured.err  # the progress bar


@pytest.mark.parametrize(
    "arguments, words",
    [
        (["--m", "10,abc"], "each m in --m must be a whole number, not 'abc'"),
        (["--m", ","], "--m needs at least one number"),
        (["--m", "10,0"], "at least 1"),
        (["--n", "0"], "--n must be at least 1, not 0"),
        (["--n", "-3"], "--n must be at least 1"),
        (["--n", "ten"], "--n must be a whole number"),
        (["--repeats", "0"], "--repeats must be at least 1"),
        (["--seed", "x"], "--seed must be a whole number"),
        (["--out", "timing.txt"], ".png, .pdf or .svg"),
        (["--out", "no/such/folder/timing.png"], "does not exist"),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(arguments, words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status = main(["timing", *arguments])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autodidact timing: error: "), captured.err
    assert words in lines[0]
    assert "Traceback" not in captured.err


# --- looped against batched (lecture 10) ------------------------------------------------------


def test_a_tiny_sweep_with_loops_times_all_four():
    timing = time_jacobians(**TINY, progress=False, looped=True)
    assert timing.has_loops
    for row in timing.rows:
        assert row.forward_looped_seconds > 0 and row.reverse_looped_seconds > 0
    assert not time_jacobians(**TINY, functions=("tanh",), progress=False).has_loops


def made_up_timing_with_loops() -> JacobianTiming:
    rows = [
        TimingRow(
            "linear", m, 1e-4 * (1 + m / 500), 1e-5 * m, 10 / m, 1e-3 * (1 + m / 300), 4e-5 * m
        )
        for m in (10, 100, 1000)
    ]
    return JacobianTiming(n=100, repeats=3, rows=rows)


def test_the_table_with_loops_shows_both_times_and_their_ratio_for_each_mode():
    table = made_up_timing_with_loops().table()
    assert "jacfwd looped" in table and "jacrev looped" in table and "looped / batched" in table
    row_1000 = next(
        line for line in table.splitlines() if line.startswith("A x") and " 1000 " in line
    )
    # looped 4.333 ms, batched 0.300 ms, ratio 14.4; looped 40.000 ms, batched 10.000 ms, ratio 4.0
    assert row_1000.split()[3:] == ["4.333", "0.300", "14.4", "40.000", "10.000", "4.0"]
    assert (
        "f(x) = A x: batched jacfwd 0.102 ms at m = 10, 0.300 ms at m = 1000 (2.9-fold while m "
        "grew 100-fold); at m = 1000 the looped jacfwd takes 14.4 times as long" in table
    )


def test_the_plot_with_loops_has_four_curves_per_panel():
    figure = made_up_timing_with_loops().plot()
    (panel,) = figure.axes
    labels = [text.get_text() for text in panel.get_legend().get_texts()]
    assert labels[:4] == [
        "forward, batched (jacfwd)",
        "reverse, batched (jacrev)",
        "forward, looped",
        "reverse, looped",
    ]
    assert len(panel.get_lines()) >= 4
