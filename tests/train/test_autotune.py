"""precision and memory_format "auto" choose by measurement (faked timings here), and the
optimised step computes the same losses and gradients as the plainest WGAN-GP step in fp32, in
either memory format."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from seisgan_core.errors import ConfigError
from seisgan_core.train import autotune
from seisgan_core.train.config import Hyperparameters
from seisgan_core.train.data import load_training_set
from seisgan_core.train.trainer import Trainer
from seisgan_testsupport.tiny_training import tiny_hp

CONDITIONS = ("mw", "log10_distance_km")


@pytest.fixture(autouse=True)
def _torch_threads_restored():
    # a run chooses torch's thread count (fit restores it; _autotune alone does not)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_thread_counts_are_the_default_and_its_halves():
    assert autotune.thread_counts(1) == [1]
    assert autotune.thread_counts(2) == [2, 1]
    assert autotune.thread_counts(3) == [3, 1]
    assert autotune.thread_counts(16) == [16, 8, 4]
    assert autotune.thread_counts(0) == [1]


def test_choose_threads_keeps_the_default_unless_fewer_are_clearly_faster():
    assert autotune.choose_threads({"2": 10.0, "1": 10.4}, 2) == 2  # within the 5 % margin
    assert autotune.choose_threads({"2": 10.0, "1": 12.0}, 2) == 1
    assert autotune.choose_threads({"16": 9.0, "8": 12.0, "4": 11.0}, 16) == 8
    assert autotune.choose_threads({"2": 12.0, "1": 6.0}, 2) == 2
    with pytest.raises(ValueError, match="thread"):
        autotune.choose_threads({}, 2)


def test_choose_keeps_fp32_unless_another_candidate_is_clearly_faster():
    # an Intel CPU without native bf16: oneDNN emulates it, slower (issue 18's 0.44 / 0.67 s)
    assert autotune.choose({"fp32": 1 / 0.44, "bf16": 1 / 0.67}) == "fp32"
    # native bf16: 2.3x
    assert autotune.choose({"fp32": 10.0, "bf16": 23.0}) == "bf16"
    # within the noise margin: the exact one
    assert autotune.choose({"fp32": 10.0, "bf16": 10.2}) == "fp32"
    assert autotune.choose({"bf16": 3.0}) == "bf16"
    with pytest.raises(ValueError, match="no candidate"):
        autotune.choose({})


def test_candidates_are_precisions_times_memory_formats_unless_fixed(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(autotune, "runnable_precisions", lambda device: ["fp32", "bf16"])
    assert autotune.candidates(cpu) == [
        "fp32",
        "fp32+channels_last",
        "bf16",
        "bf16+channels_last",
    ]
    assert autotune.candidates(cpu, "fp32") == ["fp32", "fp32+channels_last"]
    assert autotune.candidates(cpu, "auto", "channels_last") == [
        "fp32+channels_last",
        "bf16+channels_last",
    ]
    assert autotune.candidates(cpu, "bf16", "contiguous") == ["bf16"]
    for name in autotune.candidates(cpu):
        assert autotune.candidate_name(*autotune.parse_candidate(name)) == name
    assert autotune.parse_candidate("bf16+channels_last") == ("bf16", "channels_last")
    assert autotune.parse_candidate("fp32") == ("fp32", "contiguous")
    # plain fp32 stays unless a layout is clearly faster
    assert autotune.choose({"fp32": 10.0, "fp32+channels_last": 10.3}) == "fp32"
    assert autotune.choose({"fp32": 10.0, "fp32+channels_last": 12.4}) == "fp32+channels_last"


def test_measure_times_every_candidate_after_a_warm_up():
    calls: list[str] = []
    seconds = {"fp32": [9.0, 2.0, 4.0], "bf16": [9.0, 8.0, 5.0]}

    def step(name):
        calls.append(name)
        return 32, seconds[name][sum(c == name for c in calls) - 1]

    rates = autotune.measure(["fp32", "bf16"], step, repeats=2)
    # warm-ups first, then rounds over every candidate (a drift counts against none)
    assert calls == ["fp32", "bf16"] * 3
    assert rates == {"fp32": 16.0, "bf16": 32 / 5.0}  # the fastest timed step, not the warm-up


def test_the_cache_round_trips_and_a_damaged_one_is_ignored(tmp_path):
    path = tmp_path / "autotune.json"
    rates = {"fp32": 4.0, "bf16": 9.0, "bf16+channels_last": 12.0}
    result = autotune.AutotuneResult("bf16", "measured", rates, "CPU x", "", "channels_last")
    autotune.store("k1", result, path)
    again = autotune.lookup("k1", path)
    assert (again.precision, again.source, again.rates) == ("bf16", "cache", result.rates)
    assert again.memory_format == "channels_last"
    assert autotune.lookup("other", path) is None
    path.write_text("{not json")
    assert autotune.lookup("k1", path) is None
    autotune.store("k2", result, path)  # a damaged cache is replaced, not a crash
    assert json.loads(path.read_text())["k2"]["rates"] == result.rates


def test_the_cache_key_depends_on_the_network_shape_and_candidates():
    cpu = torch.device("cpu")
    a = autotune.cache_key(cpu, {"latent_dim": 100}, ["fp32", "bf16"])
    assert a == autotune.cache_key(cpu, {"latent_dim": 100}, ["bf16", "fp32"])
    assert a != autotune.cache_key(cpu, {"latent_dim": 800}, ["fp32", "bf16"])
    assert a != autotune.cache_key(cpu, {"latent_dim": 100}, ["fp32"])


def test_cpu_description_names_the_model_and_only_known_flags():
    cpu = autotune.cpu_description()
    assert cpu["model"]
    assert set(cpu["flags"]) <= set(autotune.CPU_FLAGS)
    assert autotune.describe_machine(torch.device("cpu")).startswith("CPU ")


def test_a_onednn_isa_cap_is_part_of_the_machine_and_its_cache_key(monkeypatch):
    # ONEDNN_MAX_CPU_ISA=AVX512_CORE on a CPU with avx512_bf16 gives the kernels of one without
    # it (bf16 emulated): a choice measured without the cap must not be reused under it.
    for name in autotune.ONEDNN_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    cpu = torch.device("cpu")
    plain_line = autotune.describe_cpu()
    plain_key = autotune.cache_key(cpu, {"latent_dim": 100}, ["fp32", "bf16"])
    assert autotune.cpu_description()["onednn"] == {}
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE")
    assert autotune.cpu_description()["onednn"] == {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}
    assert autotune.describe_cpu() == plain_line + " with ONEDNN_MAX_CPU_ISA=AVX512_CORE"
    capped_key = autotune.cache_key(cpu, {"latent_dim": 100}, ["fp32", "bf16"])
    assert capped_key != plain_key
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert autotune.cache_key(cpu, {"latent_dim": 100}, ["fp32", "bf16"]) not in (
        plain_key,
        capped_key,
    )


@pytest.mark.parametrize("fast", ["fp32", "bf16", "fp32+channels_last", "bf16+channels_last"])
def test_auto_runs_what_measured_fastest_and_records_it(prepared, tmp_path, monkeypatch, fast):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(autotune, "runnable_precisions", lambda device: ["fp32", "bf16"])
    probed: list[str] = []

    def fake_probe(self, candidate, batch):
        probed.append(candidate)
        return 8, 1.0 if candidate == fast else 3.0

    monkeypatch.setattr(Trainer, "_probe_step", fake_probe)
    hp = tiny_hp(epochs=1, precision="auto", memory_format="auto")
    precision, memory_format = autotune.parse_candidate(fast)
    Trainer(data=prepared, out=tmp_path / "run", hyperparameters=hp).fit()
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (config["precision"], config["memory_format"]) == (precision, memory_format)
    tuned = config["precision_autotune"]
    assert (tuned["precision"], tuned["memory_format"]) == (precision, memory_format)
    assert tuned["source"] == "measured"
    everything = ["fp32", "fp32+channels_last", "bf16", "bf16+channels_last"]
    assert tuned["rates"] == {name: 8.0 if name == fast else 8 / 3.0 for name in everything}
    assert sorted(set(probed)) == sorted(everything)
    # the second run of the same shape on the same machine measures nothing
    probed.clear()
    t = Trainer(data=prepared, out=tmp_path / "run2", hyperparameters=hp)
    t.fit()
    config = json.loads((tmp_path / "run2" / "config.json").read_text())
    assert probed == []
    assert (config["precision"], config["precision_autotune"]["source"]) == (precision, "cache")
    assert t.generator.channels_last == t.critic.channels_last == (memory_format != "contiguous")
    # a fixed precision measures the layouts alone
    hp = tiny_hp(epochs=1, precision="fp32", memory_format="auto")
    Trainer(data=prepared, out=tmp_path / "run3", hyperparameters=hp).fit()
    config = json.loads((tmp_path / "run3" / "config.json").read_text())
    assert sorted(config["precision_autotune"]["rates"]) == ["fp32", "fp32+channels_last"]


def test_auto_measures_threads_and_runs_with_the_fastest_count(prepared, tmp_path, monkeypatch):
    # The chosen candidate is measured again at torch's default thread count and at fewer;
    # here one thread is made the fastest: the run trains on one, records it, and leaves
    # torch's count as it found it; the next run takes it from the cache; a given count is
    # used as it is and nothing is measured for it.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(autotune, "runnable_precisions", lambda device: ["fp32"])
    torch.set_num_threads(2)
    probed: list[tuple[str, int]] = []

    def fake_probe(self, candidate, batch):
        probed.append((candidate, torch.get_num_threads()))
        slow = 3.0 if candidate == "fp32" else 2.0  # channels-last wins the layouts
        return 8, slow / 2 if torch.get_num_threads() == 1 else slow

    monkeypatch.setattr(Trainer, "_probe_step", fake_probe)
    during: list[int] = []
    hp = tiny_hp(epochs=1, precision="auto", memory_format="auto")

    def train(name: str, **kwargs) -> dict:
        """A run's config.json; ``during``: torch's thread count at each epoch's end."""
        during.clear()
        Trainer(
            data=prepared,
            out=tmp_path / name,
            hyperparameters=hp,
            epoch_callback=lambda epoch, metrics: during.append(torch.get_num_threads()),
            **kwargs,
        ).fit()
        return json.loads((tmp_path / name / "config.json").read_text())

    config = train("run")
    assert during == [1] and torch.get_num_threads() == 2
    tuned = config["precision_autotune"]
    assert config["threads"] == 1 and tuned["threads"] == 1
    assert tuned["thread_rates"] == {"2": 4.0, "1": 8.0}
    assert (tuned["precision"], tuned["memory_format"]) == ("fp32", "channels_last")
    # candidates at the default count (warm-up + 2 each), then the winner at 2 and at 1
    assert {c for c, k in probed if k == 2} == {"fp32", "fp32+channels_last"}
    assert [c for c, k in probed if k == 1] == ["fp32+channels_last"] * 3
    assert len(probed) == 2 * 3 + 2 * 3
    probed.clear()
    config = train("run2")
    assert probed == [] and during == [1] and config["threads"] == 1
    assert config["precision_autotune"]["source"] == "cache"
    config = train("run3", threads=2)
    assert during == [2] and torch.get_num_threads() == 2
    assert config["threads"] == 2 and config["precision_autotune"]["threads"] is None
    assert {k for _, k in probed} == {2}  # its candidates measured (another key), threads not
    with pytest.raises(ConfigError, match="threads"):
        Trainer(data=prepared, out=tmp_path / "run4", hyperparameters=hp, threads=0)


def test_a_cached_thread_choice_round_trips_and_a_damaged_one_is_ignored(tmp_path):
    path = tmp_path / "autotune.json"
    result = autotune.AutotuneResult(
        "fp32", "measured", rates={"fp32": 5.0}, threads=1, thread_rates={"2": 4.0, "1": 6.0}
    )
    autotune.store("k", result, path)
    back = autotune.lookup("k", path)
    assert (back.threads, back.thread_rates, back.source) == (1, {"2": 4.0, "1": 6.0}, "cache")
    data = json.loads(path.read_text())
    data["k"]["thread_rates"] = {"two": 4.0}
    path.write_text(json.dumps(data))
    assert autotune.lookup("k", path) is None


def test_the_real_probe_leaves_the_run_untouched(prepared, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(autotune, "runnable_precisions", lambda device: ["fp32", "fp32x"])
    hp = tiny_hp(precision="auto", memory_format="auto")
    t = Trainer(data=prepared, out=tmp_path / "u", hyperparameters=hp)
    t._setup_distributed()
    data = load_training_set(prepared, t.hp.conditions)
    t._build(data)
    before = copy.deepcopy(t.critic.state_dict()), t.noise.get_state().clone()
    t._autotune(data)
    names = {"fp32", "fp32x", "fp32+channels_last", "fp32x+channels_last"}
    assert t.autotune.source == "measured" and set(t.autotune.rates) == names
    assert all(rate > 0 for rate in t.autotune.rates.values())
    after = t.critic.state_dict()
    assert all(torch.equal(before[0][k], after[k]) for k in after)
    assert torch.equal(before[1], t.noise.get_state())
    assert t.opt_c.state == {}  # the run's optimiser has not stepped


def _naive_critic_grads(critic, real, fake, alpha, cond, gp_lambda, rows=None):
    """The plainest WGAN-GP critic step: three forwards, the penalty on its own (on the first
    ``rows`` interpolates, default all)."""
    m = real.shape[0] if rows is None else rows
    x_hat = (alpha[:m] * real[:m] + (1 - alpha[:m]) * fake[:m]).requires_grad_(True)
    grad = torch.autograd.grad(critic(x_hat, cond[:m]).sum(), x_hat, create_graph=True)[0]
    gp = ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake, cond).mean() - critic(real, cond).mean() + gp_lambda * gp
    critic.zero_grad()
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in critic.named_parameters()}


@pytest.mark.parametrize("memory_format", ["contiguous", "channels_last"])
def test_the_optimised_steps_equal_the_naive_ones_in_fp32(prepared, tmp_path, memory_format):
    hp = tiny_hp(conditions=CONDITIONS, precision="fp32", memory_format=memory_format)
    t = Trainer(data=prepared, out=tmp_path / "u", hyperparameters=hp)
    t._setup_distributed()
    data = load_training_set(prepared, hp.conditions)
    t._build(data)
    t._autotune(data)  # both fixed: no measurement, the layout is applied
    assert t.autotune.source == "fixed"
    assert t.critic.channels_last == (memory_format == "channels_last")
    real, cond, pga = t._batch(data, torch.arange(hp.batch_size).numpy())
    # the naive step runs in the plain layout
    critic0, gen0 = copy.deepcopy(t.critic), copy.deepcopy(t.generator)
    critic0.channels_last = gen0.channels_last = False
    noise = t.noise.get_state().clone()
    acc = torch.zeros(9)
    t._critic_step(real, cond, acc)
    # the same z and alpha from the same noise stream, then the naive step
    g = torch.Generator().set_state(noise)
    z = torch.randn(hp.batch_size, hp.latent_dim, generator=g)
    with torch.no_grad():
        fake = gen0(z, cond)
    alpha = torch.rand(hp.batch_size, 1, 1, generator=g)
    loss, grads = _naive_critic_grads(critic0, real, fake, alpha, cond, hp.gp_lambda)
    torch.testing.assert_close(acc[0], loss, rtol=1e-5, atol=1e-6)
    for name, p in t.critic.named_parameters():
        torch.testing.assert_close(p.grad, grads[name], rtol=1e-4, atol=1e-6, msg=name)
    # generator step: frozen critic weights give the generator the same gradients
    t.critic.load_state_dict(critic0.state_dict())
    t.generator.load_state_dict(gen0.state_dict())
    noise = t.noise.get_state().clone()
    t._generator_step(cond, pga, acc)
    z = torch.randn(hp.batch_size, hp.latent_dim, generator=torch.Generator().set_state(noise))
    loss_g = -critic0(gen0(z, cond), cond).mean()
    gen0.zero_grad()
    loss_g.backward()
    torch.testing.assert_close(acc[5], loss_g.detach(), rtol=1e-5, atol=1e-6)
    for name, p in t.generator.named_parameters():
        expected = dict(gen0.named_parameters())[name].grad
        torch.testing.assert_close(p.grad, expected, rtol=1e-4, atol=1e-6, msg=name)
    assert all(p.requires_grad for p in t.critic.parameters())  # unfrozen again


def _plain_critic_grads(critic, real, fake, cond):
    """The critic loss without a penalty, three forwards apart."""
    loss = critic(fake, cond).mean() - critic(real, cond).mean()
    critic.zero_grad()
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in critic.named_parameters()}


def _built_trainer(prepared, tmp_path, **changes):
    """A built fp32 trainer on the tiny networks and its first batch (real, conditions)."""
    hp = tiny_hp(conditions=CONDITIONS, precision="fp32", **changes)
    t = Trainer(data=prepared, out=tmp_path / "u", hyperparameters=hp)
    t._setup_distributed()
    data = load_training_set(prepared, hp.conditions)
    # seeded as Trainer._load_and_build seeds it: the weights must not depend on what earlier
    # tests in this process drew from torch's global generator
    torch.manual_seed(hp.seed)
    t._build(data)
    real, cond, _ = t._batch(data, torch.arange(hp.batch_size).numpy())
    return t, hp, real, cond


def _critic_step_and_its_inputs(t, hp, real, cond):
    """One trainer critic step; its accumulators, the critic before it, and the fakes and
    alphas it drew (replayed from the same noise stream)."""
    critic0, gen0 = copy.deepcopy(t.critic), copy.deepcopy(t.generator)
    g = torch.Generator().set_state(t.noise.get_state().clone())
    acc = torch.zeros(9)
    t._critic_step(real, cond, acc)
    z = torch.randn(hp.batch_size, hp.latent_dim, generator=g)
    with torch.no_grad():
        fake = gen0(z, cond)
    alpha = torch.rand(hp.batch_size, 1, 1, generator=g)  # drawn on every step
    return acc, critic0, fake, alpha


def _assert_step_equals(t, acc, loss, grads):
    torch.testing.assert_close(acc[0], loss, rtol=1e-5, atol=1e-6)
    for name, p in t.critic.named_parameters():
        torch.testing.assert_close(p.grad, grads[name], rtol=1e-4, atol=1e-6, msg=name)


def test_a_lazy_penalty_is_the_naive_one_weighted_by_k_every_k_steps(prepared, tmp_path):
    k = 3
    t, hp, real, cond = _built_trainer(prepared, tmp_path, gp_every=k)
    for step in range(2 * k):
        acc, critic0, fake, alpha = _critic_step_and_its_inputs(t, hp, real, cond)
        if step % k == 0:  # steps 0 and k: the penalty, weighted by k
            loss, grads = _naive_critic_grads(critic0, real, fake, alpha, cond, hp.gp_lambda * k)
            assert acc[2] > 0
        else:
            loss, grads = _plain_critic_grads(critic0, real, fake, cond)
            assert acc[2] == 0
        _assert_step_equals(t, acc, loss, grads)
    assert t.critic_steps == 2 * k


@pytest.mark.parametrize(("fraction", "rows"), [(0.5, 4), (0.3, 2), (0.01, 1)])
def test_a_fractional_penalty_is_the_naive_one_on_the_first_rows(
    prepared, tmp_path, fraction, rows
):
    t, hp, real, cond = _built_trainer(prepared, tmp_path, gp_fraction=fraction)
    assert hp.batch_size == 8
    acc, critic0, fake, alpha = _critic_step_and_its_inputs(t, hp, real, cond)
    loss, grads = _naive_critic_grads(critic0, real, fake, alpha, cond, hp.gp_lambda, rows)
    _assert_step_equals(t, acc, loss, grads)
    # and not the whole batch's penalty
    whole, _ = _naive_critic_grads(critic0, real, fake, alpha, cond, hp.gp_lambda)
    assert not torch.allclose(acc[0], whole, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.5])
def test_gp_fraction_must_be_a_share_of_the_batch(fraction):
    with pytest.raises(ValueError, match=f"gp_fraction must be in \\(0, 1\\], .* not {fraction}"):
        tiny_hp(gp_fraction=fraction)


def test_a_saved_run_without_gp_fraction_keeps_its_whole_batch_penalty():
    # config.json and checkpoints of runs trained before gp_fraction existed
    saved = tiny_hp().to_dict()
    del saved["gp_fraction"]
    assert Hyperparameters.from_saved(saved).gp_fraction == 1.0
    assert Hyperparameters.from_saved({**saved, "gp_fraction": 0.25}).gp_fraction == 0.25
    with pytest.raises(ValueError, match="unknown hyperparameters \\['gp_fractoin'\\]"):
        Hyperparameters.from_saved({**saved, "gp_fractoin": 0.5})


def test_the_study_presets_keep_the_whole_batch_penalty_and_ours_take_half():
    from seisgan_core.train.config import load_preset

    for name in ("study_run1", "study_run2", "study_run3"):
        assert load_preset(name)[1].gp_fraction == 1.0
    for name in ("conditional", "demo"):
        assert load_preset(name)[1].gp_fraction == 0.5
    assert Hyperparameters().gp_fraction == 0.5


def test_gp_every_must_be_a_positive_count():
    with pytest.raises(ValueError, match="gp_every must be at least 1, not 0"):
        tiny_hp(gp_every=0)


def test_an_unwritable_cache_leaves_the_choice_and_writes_nothing(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder would be")
    result = autotune.AutotuneResult("fp32", "measured", {"fp32": 4.0})
    autotune.store("k", result, blocker / "autotune.json")  # no exception
    assert blocker.read_text() == "a file where the cache folder would be"
    assert autotune.lookup("k", blocker / "autotune.json") is None
