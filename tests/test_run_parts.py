"""The run's parts, each with one owner, and the bugs that lived in the seams between them."""

import ast
import dataclasses
import json
import os
import re
from pathlib import Path

import pytest
import torch

import gankit
from gankit.checkpoint import Resume, load_checkpoint, save_checkpoint
from gankit.cli import main
from gankit.config import PER_SESSION, Config
from gankit.errors import ConfigError
from gankit.training import train

PACKAGE = Path(gankit.__file__).parent
NOTEBOOKS = sorted((PACKAGE.parents[1] / "notebooks").glob("*.ipynb"))


def modules() -> dict[str, str]:
    """gankit's modules by dotted name, with their source."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path.read_text()
    return found


def gankit_imports(name: str, source: str, known: set[str] | None = None) -> set[str]:
    """The gankit modules (of `known`, else the installed ones) that `name` imports, at
    its top or inside functions, leaving out imports under `if TYPE_CHECKING:`
    (annotations only). benchmarks/import_graph.py reads older revisions with it."""
    known = set(modules()) if known is None else known
    imported = set()
    tree = ast.parse(source)
    typing_only = {id(node) for branch in ast.walk(tree) if isinstance(branch, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(branch.test)
                   for node in ast.walk(branch)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            imported.add(base)
            imported |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in imported if m in known and m != name and m != "gankit"}


def test_the_package_imports_have_no_cycle():
    graph = {name: gankit_imports(name, source) for name, source in modules().items()}
    done, path = set(), []

    def visit(name):
        if name in path:
            cycle = path[path.index(name):] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        path.append(name)
        for other in sorted(graph[name]):
            visit(other)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_config_imports_nothing_of_gankit_but_its_errors():
    """...and the wording its errors are written in (numbers the French way)."""
    source = (PACKAGE / "config.py").read_text()
    assert gankit_imports("gankit.config", source) == {"gankit.errors", "gankit.wording"}


def test_only_the_records_module_reads_or_writes_metrics_jsonl():
    """Record kinds are told apart in one place: no other module names "event", tests
    for "d_loss" in a record, parses JSON lines, or opens the run dir's metrics file
    (they pass its path to gankit.records)."""
    parsing = re.compile(r'"event"|"d_loss" in |json\.loads')
    opening = re.compile(r'open\([^)]*\.metrics\b|\.metrics\.(read_text|open|write_text)')
    for name, source in modules().items():
        if name == "gankit.records":
            continue
        found = set(parsing.findall(source)) | {m.group(0) for m in opening.finditer(source)}
        if name == "gankit.checkpoint":  # an export's config metadata is JSON, not records
            found.discard("json.loads")
        assert not found, f"{name}: {found}"


# A checkpoint's top-level keys, and the training state's entries inside "training".
CHECKPOINT_KEYS = ("format", "config", "world_size", "generator", "discriminator", "ema",
                   "training", "sha256")
TRAINING_ENTRIES = ("step", "time_s", "eval_time_s", "best_fid", "schedule_origin", "g_loss",
                    "optimizer_g", "optimizer_d", "rng")
# Words that name other things too: a tutorial check ("generator"), a CLI argument
# ("config"), a record's field ("step", "g_loss"). Only reading them as a dict's key counts.
ALSO_OTHER_THINGS = {"generator", "discriminator", "config", "step", "g_loss"}


def keys_used(source: str) -> set[str]:
    """The string constants that `source` reads a dict by (`d["k"]`, `d.get("k")`,
    `d.pop("k")`, `"k" in d`) or writes a dict literal with, of the checkpoint's keys and
    the training state's entries; a dict literal's keys count except ALSO_OTHER_THINGS."""
    watched = {*CHECKPOINT_KEYS, *TRAINING_ENTRIES}
    found = set()
    for node in ast.walk(ast.parse(source)):
        read = []
        if isinstance(node, ast.Subscript):
            read = [node.slice]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("get", "pop", "setdefault") and node.args):
            read = [node.args[0]]
        elif isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            read = [node.left]
        elif isinstance(node, ast.Dict):
            found |= {k.value for k in node.keys if isinstance(k, ast.Constant)
                      and k.value in watched - ALSO_OTHER_THINGS}
        found |= {k.value for k in read if isinstance(k, ast.Constant) and k.value in watched}
    return found


def notebook_code(path: Path) -> str:
    """A notebook's code cells as one Python source, IPython's magics and shell lines
    left out."""
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    lines = [line for cell in cells if cell.cell_type == "code"
             for line in cell.source.splitlines()
             if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def test_one_module_owns_each_part_of_the_checkpoint_schema():
    """A checkpoint's keys are read and written in gankit.checkpoint alone, the training
    state's entries in gankit.state alone (as an optimizer names its own), from the syntax
    tree, so a key spelt across lines or in a dict literal counts. The notebooks load
    through gankit (its checksum, its format upgrades), never torch.load."""
    assert len(NOTEBOOKS) == 4, NOTEBOOKS
    sources = dict(modules())
    sources |= {path.name: notebook_code(path) for path in NOTEBOOKS}
    for name, source in sources.items():
        found = keys_used(source)
        if name == "gankit.checkpoint":
            assert not found & set(TRAINING_ENTRIES), (name, found)
        elif name == "gankit.state":
            assert not found & set(CHECKPOINT_KEYS), (name, found)
        else:  # a record's step and G loss are read everywhere metrics.jsonl is
            assert not found - {"step", "g_loss"}, (name, found)
        if name.endswith(".ipynb"):
            assert "torch.load" not in source, name


def test_the_keys_test_sees_a_key_read_or_written():
    assert keys_used('state["training"]["step"]') == {"training", "step"}
    assert keys_used('x = d.get("world_size", 1)\nif "ema" in d: pass') == {"world_size", "ema"}
    assert keys_used('{"format": 3, "generator": g}') == {"format"}
    assert keys_used('CHECKS = {"generator": check}') == set()


def calls(source: str) -> set[str]:
    """The names of what `source` calls: `f` for f(...) and `obj.f(...)`."""
    return {node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))}


def test_every_random_stream_is_seeded_in_gankit_seeds():
    """One function seeds each named stream (weights, batch order, grid noise, ...): a new
    stream is added to its list, where its seed is seen beside the others'."""
    seeding = {"manual_seed", "manual_seed_all", "seed", "default_rng", "RandomState",
               "set_rng_state", "SeedSequence", "PCG64", "Philox", "Generator"}
    for name, source in modules().items():
        if name in ("gankit.seeds", "gankit.state"):  # state restores saved streams
            continue
        assert not calls(source) & seeding, (name, calls(source) & seeding)


def test_the_seed_of_each_stream_is_what_runs_were_trained_with():
    """The formulas that every saved run's weights, noise and data order came from."""
    from gankit.seeds import STREAMS, stream_seed

    assert stream_seed("weights", 7) == stream_seed("grid_noise", 7) == 7
    assert stream_seed("batch_order", 3, 2) == 3 * 1_000_003 + 2
    assert stream_seed("rank_noise", 5, 1) == 5 + 1_000_003 * 2
    assert stream_seed("frame_noise", 7) == stream_seed("fid_noise", 7) == 8
    assert stream_seed("toy_points", 7, 0) == 0 and stream_seed("toy_points", 7, 1) == 1
    assert (stream_seed("check_case", 7), stream_seed("check_dropout", 7)) == (0, 1)
    assert set(STREAMS) >= {"clusters", "sample_noise", "interpolation", "batchnorm_inputs",
                            "dirac"}
    with pytest.raises(KeyError):
        stream_seed("unnamed", 0)


def test_config_toml_has_one_reader_and_one_writer():
    """gankit.config alone parses or writes TOML; gankit.runlog alone writes config.toml."""
    for name, source in modules().items():
        imported = {alias.name for node in ast.walk(ast.parse(source))
                    if isinstance(node, (ast.Import, ast.ImportFrom))
                    for alias in node.names} | {
            node.module for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.module}
        if name != "gankit.config":
            assert not imported & {"tomllib", "tomli_w", "tomli"}, name
        if name not in ("gankit.config", "gankit.runlog"):
            used = {node.id if isinstance(node, ast.Name) else node.attr
                    for node in ast.walk(ast.parse(source))
                    if isinstance(node, (ast.Name, ast.Attribute))}
            assert "toml_text" not in imported | used, name


def test_the_cli_only_parses_and_dispatches():
    source = (PACKAGE / "cli.py").read_text()
    assert "open(" not in source and "json.dumps({" not in source and "tomllib" not in source
    assert "distributed" not in source  # train() leaves the process group itself


def test_boolean_flags_can_be_switched_off(capsys):
    assert main(["train", "--preset", "cdcgan", "--no-conditional", "--aux-classifier", "0",
                 "--dry-run"]) == 0
    assert "conditional = false" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "--conditional, --no-conditional" in capsys.readouterr().out


def test_a_config_file_in_the_working_directory_is_read(tmp_path, monkeypatch, capsys):
    """`--config my.toml` with no run_dir key, from the file's own folder, raised KeyError."""
    monkeypatch.chdir(tmp_path)
    Path("my.toml").write_text('lr = 0.0005\n')
    assert main(["train", "--config", "my.toml", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "lr = 0.0005" in out and 'run_dir = ""' in out


def short_config(tmp_path, data_dir, name="run", **changes) -> Config:
    values = dict(data_dir=str(data_dir), run_dir=str(tmp_path / name), batch_size=32,
                  log_every=5, max_steps=12, device="cpu")
    return Config(**(values | changes))


def test_compile_trains_with_r1_and_wgan_gp(tmp_path, tiny_mnist):
    """The penalties differentiate D twice, which a compiled D cannot: they take the plain
    D, and the run trains (it crashed with "donated buffers ... create_graph=False")."""
    config = short_config(tmp_path, tiny_mnist, loss="wgan-gp", r1=1.0, compile=True,
                          max_steps=2, g_hidden=[16], d_hidden=[16], dropout=0.0)
    run = train(config, quiet=True)
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert logged[-1]["step"] == 2 and all(
        torch.isfinite(torch.tensor(r["d_loss"])) for r in logged if "d_loss" in r)


def test_a_crash_in_an_epochs_end_work_is_redone_on_resume(tmp_path, tiny_mnist,
                                                           monkeypatch):
    """last.pt was saved at the epoch's last step (--checkpoint-every) before the epoch's
    end work; a crash in that work (FID is its long part) resumed past it, and the epoch
    never got its grid, snapshot or evaluation."""
    from gankit import schedule

    config = short_config(tmp_path, tiny_mnist, max_steps=0, epochs=2, checkpoint_every=5)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies here, as a kill would stop it

    with monkeypatch.context() as patch:
        patch.setattr(schedule, "make_grid", crash)
        with pytest.raises(KeyboardInterrupt):
            train(config, quiet=True)
    run = Path(config.run_dir)
    assert not (run / "checkpoints" / "epoch_000.pt").exists()
    train(config, quiet=True, resume=run)
    assert (run / "checkpoints" / "epoch_000.pt").is_file()
    assert (run / "samples" / "step_0000010.png").is_file()


def test_a_loop_that_breaks_after_an_epochs_last_batch_still_ends_the_epoch(tmp_path,
                                                                           tiny_mnist):
    config = short_config(tmp_path, tiny_mnist, max_steps=0, epochs=3)
    data = gankit.load_dataset("mnist", data_dir=config.data_dir)
    generator, discriminator = gankit.build_models(config, data.image_shape)
    opt_g, opt_d = (gankit.make_optimizer(m, config) for m in (generator, discriminator))
    loss = gankit.get_loss(config.loss)
    with gankit.Run(config, data, generator, discriminator, opt_g, opt_d, quiet=True) as run:
        for real, _ in run.batches():
            run.log(gankit.discriminator_step(run.nets, opt_d, loss, real),
                    gankit.generator_step(run.nets, opt_g, loss, len(real)))
            if run.step == 10:  # the first epoch's last batch
                break
    checkpoints = Path(config.run_dir) / "checkpoints"
    assert (checkpoints / "epoch_000.pt").is_file()
    assert load_checkpoint(checkpoints / "last.pt")["training"]["step"] == 10


def test_an_empty_cluster_gives_finite_noise_and_grids(tmp_path):
    config = Config(arch="dcgan", base_width=8, clusters=4)
    generator, _ = gankit.build_models(config, (1, 28, 28))
    generator.set_shares(torch.tensor([0, 0, 1, 2, 2, 2]))  # cluster 3 is empty
    noise = generator.noise_for(torch.arange(4))
    assert torch.isfinite(noise).all()
    z = torch.randn(4, config.latent_dim)
    z[:, 0] = noise
    assert generator.cluster_of(z).tolist()[:3] == [0, 1, 2]
    from gankit.models import generate

    assert torch.isfinite(generate(generator, z)).all()


def test_a_clusters_config_refuses_the_datasets_own_labels(tmp_path, tiny_mnist):
    """MNIST's 10 digit labels passed the old guard for any K >= 10: a loop that forgot
    cluster_images trained on 10 of K clusters without a word."""
    config = short_config(tmp_path, tiny_mnist, arch="dcgan", base_width=8, clusters=12)
    data = gankit.load_dataset("mnist", data_dir=config.data_dir)
    generator, discriminator = gankit.build_models(config, data.image_shape)
    opt_g, opt_d = (gankit.make_optimizer(m, config) for m in (generator, discriminator))
    with pytest.raises(ConfigError, match="cluster_images"):
        gankit.Run(config, data, generator, discriminator, opt_g, opt_d, quiet=True)
    clustered = gankit.cluster_images(data, 12, config.seed)
    assert clustered.clusters == 12


def test_cuda_random_streams_restore_for_the_devices_present(monkeypatch):
    """A run saved on 2 GPUs resumed on 1: set_rng_state_all raised IndexError."""
    from gankit.state import restore_random_state

    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state",
                        lambda state, device: restored.append((device, state)))
    saved = {"torch": torch.get_rng_state(), "cuda": [torch.tensor([1]), torch.tensor([2])]}
    assert restore_random_state(saved) == (1, 2)
    assert restored == [(0, saved["cuda"][0])]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert restore_random_state(saved) == (0, 2)


def test_a_run_saved_on_cuda_resumes_on_a_cpu(tmp_path, tiny_mnist, capsys, monkeypatch):
    """The device, precision, compile, data dir and cadences belong to one invocation: a
    resume may change them. Here the checkpoint says CUDA (as a run from a recycled cloud
    GPU would) and carries a CUDA random stream; this machine has none."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # on a GPU machine too
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    run = train(short_config(tmp_path, tiny_mnist, max_steps=4), quiet=True)
    last = run / "checkpoints" / "last.pt"
    checkpoint = torch.load(last, weights_only=True)
    checkpoint["config"]["device"] = "cuda"
    checkpoint["training"]["rng"][0]["cuda"] = [torch.zeros(16, dtype=torch.uint8)]
    save_checkpoint(checkpoint, last)
    assert main(["train", "--resume", str(run), "--max-steps", "8"]) == 2
    assert "resume it here with --device cpu" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--max-steps", "8", "--device", "cpu",
                 "--log-every", "2", "--precision", "bf16"]) == 0
    out = capsys.readouterr().out
    assert "random streams of 0 of the 1 CUDA devices" in out
    saved = load_checkpoint(last)
    assert saved["training"]["step"] == 8
    assert (saved["config"]["device"], saved["config"]["log_every"]) == ("cpu", 2)
    assert main(["train", "--resume", str(run), "--max-steps", "9", "--lr", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "cannot change lr" in err and "device" in err
    # Through the Python API, what this invocation asks is checked as the CLI checks it.
    point = Resume.load(run)
    with pytest.raises(ConfigError, match="log_every must be between 1"):
        train(dataclasses.replace(point.saved, max_steps=9, log_every=0), resume=point)


def test_what_a_resume_may_change_is_the_invocations():
    assert set(PER_SESSION) == {"data_dir", "epochs", "max_steps", "device", "precision",
                                "compile", "tf32", "log_every", "sample_every",
                                "checkpoint_every", "keep_checkpoints", "eval_every"}


def test_format_1_checkpoints_still_load(tmp_path, tiny_mnist):
    run = train(short_config(tmp_path, tiny_mnist, max_steps=3), quiet=True)
    last = run / "checkpoints" / "last.pt"
    new = torch.load(last, weights_only=True)
    # Format 1 had neither the "training" entry nor a checksum.
    old = {key: value for key, value in new.items()
           if key not in ("training", "format", "sha256")}
    training = new["training"]
    old |= {key: training[key] for key in training if key != "rng"}
    old |= {"epoch": 0, "rng": training["rng"][0], "g_loss": training["g_loss"][0]}
    torch.save(old, last)
    loaded = load_checkpoint(last)
    assert loaded["training"]["step"] == 3 and len(loaded["training"]["rng"]) == 1
    point = Resume.load(run)
    train(point.config(max_steps=5), quiet=True, resume=point)
    assert load_checkpoint(last)["training"]["step"] == 5


def test_the_cuda_policy_is_set_explicitly_both_ways():
    from gankit.device import set_cuda_policy

    conv = torch.backends.cudnn.conv

    def policy():
        return (torch.get_float32_matmul_precision(),  # raises if two APIs were mixed
                torch.backends.cuda.matmul.fp32_precision, conv.fp32_precision,
                torch.backends.cudnn.benchmark)

    before = policy()
    try:
        set_cuda_policy(torch.device("cpu"), True)
        assert policy() == before  # a CPU run changes nothing
        set_cuda_policy(torch.device("cuda"), False)
        assert policy() == ("highest", "ieee", "ieee", True)  # torch's conv default: tf32
        set_cuda_policy(torch.device("cuda"), True)
        assert policy() == ("high", "tf32", "tf32", True)
    finally:
        torch.set_float32_matmul_precision(before[0])
        conv.fp32_precision, torch.backends.cudnn.benchmark = before[2:]


def test_step_timing_is_cuda_only_and_shows_as_a_fourth_status_line(tmp_path, tiny_mnist,
                                                                   capsys):
    from gankit.device import StepTimer
    from gankit.rundir import RunDir
    from gankit.runlog import RunLog

    assert StepTimer(torch.device("cpu")).lap(10) == {}
    log = RunLog(RunDir(tmp_path), Config(), 469, 1000)
    log.open(0.0)
    log.start_epoch(0)
    log.status(0, 0, 1, {"d_loss": 1.0, "g_loss": 2.0, "d_x": 0.5, "d_g_z": 0.4},
               {"ms_per_step": 3.25, "peak_memory_gib": 1.5})
    log.close()
    assert "Step: 3.25 ms, peak GPU memory: 1.50 GiB" in capsys.readouterr().out
    record = json.loads((tmp_path / "metrics.jsonl").read_text())
    assert (record["ms_per_step"], record["peak_memory_gib"]) == (3.25, 1.5)


def test_a_resume_that_lengthens_the_run_keeps_the_learning_rate_falling(tmp_path, tiny_mnist):
    """300 images in batches of 32: 10 steps an epoch. Linear from lr to 0 over 2 epochs,
    stopped at step 8 (progress 0.4); resumed with --epochs 4, the rate goes on from 0.6 lr
    down to 0 at step 40, never back up (it restarted at 0.8 lr: step 8 of 40)."""
    config = short_config(tmp_path, tiny_mnist, lr_schedule="linear", lr=1e-3, epochs=2,
                          max_steps=8, g_hidden=[16], d_hidden=[16])
    run = train(config, quiet=True)

    def last_rate() -> float:
        return load_checkpoint(run / "checkpoints" / "last.pt")["training"]["optimizer_g"][
            "param_groups"][0]["lr"]

    assert last_rate() == pytest.approx(1e-3 * (1 - 7 / 20))  # set before step 8's update
    train(Resume.load(run).config(epochs=4, max_steps=9), quiet=True, resume=run)
    assert last_rate() == pytest.approx(1e-3 * 0.6)
    train(Resume.load(run).config(max_steps=39), quiet=True, resume=run)  # same length: as is
    assert last_rate() == pytest.approx(1e-3 * 0.6 * (40 - 38) / 32)


def test_a_fallback_to_an_epoch_snapshot_does_that_epochs_end_work(tmp_path, tiny_mnist,
                                                                   monkeypatch):
    """The snapshot is saved at the start of the epoch's end work, before FID, best.pt and
    last.pt; a crash in FID, then a corrupt last.pt: --fallback resumes from the snapshot,
    and the epoch it ends gets its FID, as an uninterrupted run's does."""
    from gankit import schedule

    config = short_config(tmp_path, tiny_mnist, max_steps=0, epochs=3, eval_every=1,
                          eval_samples=300, g_hidden=[16], d_hidden=[16])
    real_fid = schedule.evaluate_fid

    def crash_at_step_20(sampler, config):
        if len(list((Path(config.run_dir) / "checkpoints").glob("epoch_001.pt"))):
            raise KeyboardInterrupt  # the process dies here, as a kill would stop it
        return real_fid(sampler, config)

    with monkeypatch.context() as patch:
        patch.setattr(schedule, "evaluate_fid", crash_at_step_20)
        with pytest.raises(KeyboardInterrupt):
            train(config, quiet=True)
    run = Path(config.run_dir)
    (run / "checkpoints" / "last.pt").unlink()
    train(config, quiet=True, resume=Resume.load(run, fallback=True))
    evaluated = [json.loads(line)["step"] for line in (run / "metrics.jsonl").open()
                 if json.loads(line).get("event") == "eval"]
    assert evaluated == [10, 20, 30]


def test_a_run_whose_learning_rate_reached_0_is_not_trained_on_at_0(tmp_path, tiny_mnist,
                                                                    capsys):
    """Its linear schedule ended with its epochs: a longer resume would train at a rate of 0
    (the schedule goes on from where it was). It is refused, saying what to do."""
    config = short_config(tmp_path, tiny_mnist, lr_schedule="linear", epochs=1, max_steps=0,
                          g_hidden=[16], d_hidden=[16])
    run = train(config, quiet=True)
    argv = ["train", "--resume", str(run), "--epochs", "2", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "where its linear learning-rate schedule reached 0" in err, err
    assert "start a new run" in err


def test_a_resume_is_merged_and_checked_once(tmp_path, tiny_mnist, monkeypatch):
    """`gankit train --resume` merges the saved config with the flags once: train() and
    its Run take the config the CLI checked, and a config changed since is checked anew."""
    import gankit.checkpoint

    run = train(Config(data_dir=str(tiny_mnist), run_dir=str(tmp_path / "run"), batch_size=50,
                       max_steps=2, device="cpu"), quiet=True)
    merges = []
    real = gankit.checkpoint.continued
    monkeypatch.setattr(gankit.checkpoint, "continued",
                        lambda *args: merges.append(args) or real(*args))
    assert main(["train", "--resume", str(run), "--max-steps", "4", "--quiet"]) == 0
    assert len(merges) == 1
    point = Resume.load(run)
    config = point.config(max_steps=6)
    assert point.check(config) is config and len(merges) == 2
    config.log_every = 3  # a change after the check is checked
    assert point.check(config).log_every == 3 and len(merges) == 3
    config.d_hidden.append(64)  # in place, in a list: an architecture the run cannot take
    with pytest.raises(ConfigError, match="d_hidden"):
        point.check(config)


# The lab's own modules: everything else is the same for images and points.
LAB_MODULES = {"gankit.toys", "gankit.frames", "gankit.gan_lab", "gankit.lab_controls",
               "gankit.scenarios", "gankit.dirac"}


def names_used(source: str) -> set[str]:
    """Every name `source` refers to: variables, attributes and imported names."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            found |= {alias.name for alias in node.names}
    return found


def test_only_the_lab_and_the_kinds_registry_tell_points_from_images():
    """The lab is a plug-in: outside its own modules only gankit.kinds asks whether a
    dataset is a toy; the others look its kind up (and key their registries by its name)."""
    for name, source in modules().items():
        if name not in LAB_MODULES | {"gankit.kinds"}:
            assert "is_toy" not in names_used(source), name
    assert "is_toy" in names_used(modules()["gankit.kinds"])


def test_the_names_test_sees_a_toy_asked_for():
    assert "is_toy" in names_used("from gankit.toys import is_toy")
    assert "is_toy" in names_used("import gankit.toys\ngankit.toys.is_toy('ring8')")
    assert "is_toy" not in names_used("kind_of('ring8').draws_frames")


def test_each_architecture_builds_for_one_kind_of_data():
    from gankit.kinds import KINDS
    from gankit.models import ARCHITECTURES

    listed = [arch for kind in KINDS.values() for arch in kind.architectures]
    assert sorted(listed) == sorted(ARCHITECTURES)
    with pytest.raises(ConfigError, match="only --arch toy"):
        gankit.resolve_config("lab", overrides={"arch": "mlp"})
    with pytest.raises(ConfigError, match="--arch toy is for the lab"):
        gankit.resolve_config("seed", overrides={"arch": "toy"})


def test_a_toy_loads_as_points_and_an_image_dataset_as_images():
    from gankit.data import Dataset, ImageData
    from gankit.toys import TRAIN_POINTS, Points

    points = gankit.load_dataset("ring8")
    assert isinstance(points, Points) and not isinstance(points, ImageData)
    assert points.real.shape == (TRAIN_POINTS, 2) and points.real.dtype == torch.float32
    assert points.sample_shape == (2,) and points.labels is None and points.num_classes == 0
    images = gankit.load_dataset("mnist", "test")
    assert isinstance(images, ImageData) and images.real is images.images
    assert images.sample_shape == images.image_shape == (1, 28, 28)
    assert images.num_classes == 10
    wanted = {"name", "labels", "clusters", "real", "sample_shape", "num_classes"}
    members = {*Dataset.__annotations__,
               *(name for name, value in vars(Dataset).items() if isinstance(value, property))}
    assert members == wanted
    for data in (points, images):
        assert all(hasattr(data, attribute) for attribute in wanted)
    with pytest.raises(ConfigError, match="choose from mnist, fashion-mnist, folder:PATH, ring8"):
        gankit.load_dataset("cifar")


def test_only_the_run_counts_steps():
    """One step counter, TrainingState.step, which Run.log alone advances; the timer, the
    divergence guard, the panel and the lab's frames keep the step they last saw."""
    counting = {name: steps_counted(source) for name, source in modules().items()}
    assert {name: found for name, found in counting.items() if found} == {
        "gankit.run": ["state.step += 1"]}


def steps_counted(source: str) -> list[str]:
    """The statements of `source` that add to something named like a step:
    `x.step += 1`, `step = step + 1`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            targets = [node.target]
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp)
              and isinstance(node.value.op, ast.Add)):
            targets = [t for t in node.targets
                       if ast.unparse(t) in (ast.unparse(node.value.left),
                                             ast.unparse(node.value.right))]
        else:
            continue
        if any("step" in ast.unparse(target).rsplit(".", 1)[-1] for target in targets):
            found.append(ast.unparse(node))
    return found


def test_the_counting_test_sees_a_step_counted():
    assert steps_counted("self.step += 1") == ["self.step += 1"]
    assert steps_counted("step = step + 1\nsteps = 1 + steps") == ["step = step + 1",
                                                                    "steps = 1 + steps"]
    assert steps_counted("first_step = step + 1\nself.d_updates += 1") == []


def test_the_divergence_guard_names_the_runs_step():
    """The guard keeps the first bad step it was given (a resumed run's, here), with no
    count of its own."""
    from gankit.guards import Diverged, DivergenceGuard

    guard = DivergenceGuard(torch.device("cpu"))
    finite, nan = torch.tensor(1.0), torch.tensor(float("nan"))
    guard.update(finite, finite, 1001)
    guard.check()
    guard.update(nan, finite, 1002)
    guard.update(finite, torch.tensor(float("inf")), 1003)
    with pytest.raises(Diverged, match="at step 1002: discriminator loss nan, generator loss 1"):
        guard.check()


def test_a_new_runs_config_is_checked_once(tmp_path, tiny_mnist, monkeypatch):
    """The CLI resolves the config and train() takes it as checked; a hand-built config
    is checked by train(), and a config changed since is checked again."""
    import gankit.resolve

    checks = []
    real = gankit.resolve.check_names
    monkeypatch.setattr(gankit.resolve, "check_names",
                        lambda config: checks.append(config) or real(config))
    assert main(["train", "--data-dir", str(tiny_mnist), "--run-dir", str(tmp_path / "run"),
                 "--batch-size", "50", "--max-steps", "2", "--device", "cpu", "--quiet"]) == 0
    assert len(checks) == 1
    config = Config(data_dir=str(tiny_mnist), run_dir=str(tmp_path / "hand"), batch_size=50,
                    max_steps=2, device="cpu")
    train(config, quiet=True)
    assert len(checks) == 2
    config.d_hidden.append(0)  # in place, in a list: a layer of no units
    with pytest.raises(ConfigError, match="d_hidden"):
        gankit.resolve.check_config(config)


def test_the_scripts_and_benchmarks_import_what_gankit_has():
    """They run outside the suite: a name moved or renamed in gankit is caught here."""
    import importlib

    root = PACKAGE.parents[1]
    for path in sorted([*(root / "scripts").glob("*.py"), *(root / "benchmarks").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gankit"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    name = f"{node.module}.{alias.name}"
                    assert hasattr(module, alias.name) or name in modules(), f"{path.name}: {name}"


def test_a_points_file_in_a_folder_not_named_in_utf8_is_refused(tmp_path, monkeypatch):
    """resolve_config makes a points: path absolute after its checks: the path runs keep is
    checked too, and train() takes the config as resolve_config left it."""
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xffdir"))
    folder.mkdir()
    monkeypatch.chdir(folder)
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        gankit.resolve_config("lab", overrides={"dataset": "points:pts.npy"})
