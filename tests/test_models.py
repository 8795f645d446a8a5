import math

import pytest
import torch

from gankit.config import Config
from gankit.losses import get_loss
from gankit.models import build_models, count_parameters


def test_notebook_parameter_counts():
    generator, discriminator = build_models(Config(), (1, 28, 28))
    assert count_parameters(generator) == 1_486_352
    assert count_parameters(discriminator) == 1_460_225


def test_notebook_layers():
    generator, discriminator = build_models(Config(), (1, 28, 28))
    linear = [m for m in generator.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [
        (100, 256), (256, 512), (512, 1024), (1024, 784)]
    assert isinstance(list(generator.modules())[-1], torch.nn.Tanh)
    leaky = [m for m in discriminator.modules() if isinstance(m, torch.nn.LeakyReLU)]
    dropout = [m for m in discriminator.modules() if isinstance(m, torch.nn.Dropout)]
    assert [m.negative_slope for m in leaky] == [0.2] * 3
    assert [m.p for m in dropout] == [0.3] * 3


def test_generator_output_shape_and_range():
    generator, _ = build_models(Config(), (1, 28, 28))
    images = generator(torch.randn(5, 100))
    assert images.shape == (5, 1, 28, 28)
    assert images.abs().max() <= 1


def test_dropout_is_off_in_eval_mode():
    _, discriminator = build_models(Config(), (1, 28, 28))
    x = torch.randn(8, 1, 28, 28)
    discriminator.eval()
    assert torch.equal(discriminator(x), discriminator(x))
    discriminator.train()
    assert not torch.equal(discriminator(x), discriminator(x))


def test_widths_and_latent_size_are_configurable():
    config = Config(latent_dim=16, g_hidden=[32], d_hidden=[8, 8], dropout=0.0)
    generator, discriminator = build_models(config, (3, 8, 8))
    assert generator(torch.randn(2, 16)).shape == (2, 3, 8, 8)
    assert discriminator(torch.randn(2, 3, 8, 8)).shape == (2,)


def test_losses_at_known_values():
    zero = torch.zeros(4)
    bce = get_loss("nonsaturating")
    # D(x) = D(G(z)) = 1/2: every BCE term is log 2.
    assert bce.discriminator(zero, zero).item() == pytest.approx(math.log(2))
    assert bce.generator(zero).item() == pytest.approx(math.log(2))
    # A confident D: real logit 3, fake logit -3, matches BCE on probabilities.
    real, fake = torch.full((4,), 3.0), torch.full((4,), -3.0)
    p = torch.sigmoid(torch.tensor(3.0))
    assert bce.discriminator(real, fake).item() == pytest.approx(-math.log(p), rel=1e-6)
    assert bce.generator(fake).item() == pytest.approx(-math.log(1 - p), rel=1e-6)
    minimax = get_loss("minimax")
    assert minimax.generator(fake).item() == pytest.approx(math.log(p), rel=1e-6)


def test_unequal_batches_weight_every_sample_equally():
    # The notebook's BCE is a mean over the concatenation, not the mean of two means.
    loss = get_loss("nonsaturating").discriminator(torch.zeros(1), torch.full((3,), 50.0))
    assert loss.item() == pytest.approx((math.log(2) + 3 * 50) / 4, rel=1e-5)


def test_dropout_keeps_seventy_percent_scaled_up():
    _, discriminator = build_models(Config(), (1, 28, 28))
    dropout = discriminator.net[3]
    assert isinstance(dropout, torch.nn.Dropout)
    out = dropout(torch.ones(1000, 1000))
    assert out.unique().tolist() == [0.0, pytest.approx(1 / 0.7)]
    assert (out > 0).float().mean().item() == pytest.approx(0.7, abs=0.002)


def test_hinge_and_least_squares_losses_at_known_values():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.5])
    hinge = get_loss("hinge")
    # relu(1 - real) = [0, 0.5]; relu(1 + fake) = [0, 1.5]
    assert hinge.discriminator(real, fake).item() == pytest.approx(0.25 + 0.75)
    assert hinge.generator(fake).item() == pytest.approx(0.75)
    lsgan = get_loss("lsgan")
    # 0.5 * mean([1, 0.25]) + 0.5 * mean([4, 0.25]); G: 0.5 * mean([9, 0.25])
    assert lsgan.discriminator(real, fake).item() == pytest.approx(0.3125 + 1.0625)
    assert lsgan.generator(fake).item() == pytest.approx(2.3125)


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 3), (64, 3)])
def test_dcgan_builds_for_image_sizes(size, channels):
    config = Config(arch="dcgan", image_size=size, channels=channels, base_width=8,
                    spectral_norm=True)
    generator, discriminator = build_models(config, (channels, size, size))
    images = generator(torch.randn(3, 100))
    assert images.shape == (3, channels, size, size) and images.abs().max() <= 1
    assert discriminator(images).shape == (3,)


def test_dcgan_refuses_sizes_it_cannot_halve():
    from gankit.errors import ConfigError

    with pytest.raises(ConfigError, match="dcgan cannot build image size 30"):
        build_models(Config(arch="dcgan", image_size=30), (1, 30, 30))


def linear_critic(weights):
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(len(weights), 1, bias=False))
    critic[1].weight.data = torch.tensor([weights])
    return lambda x: critic(x).squeeze(1)


def test_gradient_penalties_of_a_linear_critic():
    from gankit.losses import gradient_penalty, r1_penalty

    # D(x) = w . x has gradient w everywhere: GP = 10 (|w| - 1)^2, R1 = gamma / 2 |w|^2.
    critic = linear_critic([3.0, 4.0])
    real, fake = torch.randn(16, 1, 1, 2), torch.randn(16, 1, 1, 2)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(10 * (5 - 1) ** 2)
    assert r1_penalty(critic, real, gamma=2.0).item() == pytest.approx(25.0)
    wgan = get_loss("wgan-gp")
    assert wgan.discriminator(torch.tensor([2.0, 4.0]), torch.tensor([1.0])).item() == -2.0
    assert wgan.generator(torch.tensor([1.0, 3.0])).item() == -2.0


def test_minibatch_std_keeps_the_real_half_apart_from_the_fake_half():
    from gankit.models import MinibatchStd

    torch.manual_seed(0)
    config = Config(arch="dcgan", minibatch_std=True)
    _, discriminator = build_models(config, (1, 28, 28))
    real, fake = torch.randn(8, 1, 28, 28), torch.randn(8, 1, 28, 28)
    same_fakes = fake[:1].expand(8, 1, 28, 28)
    with torch.no_grad():
        a = discriminator(torch.cat([real, fake]))
        b = discriminator(torch.cat([real, same_fakes]))
    torch.testing.assert_close(a[:8], b[:8])  # the real half sees only real spreads
    spread = MinibatchStd()(torch.cat([real, same_fakes]))[:, -1, 0, 0]
    assert (spread[:8] > 0.5).all() and (spread[8:] < 1e-3).all()  # identical fakes: no spread
    assert MinibatchStd()(torch.randn(6, 2, 3, 3)).shape == (6, 3, 3, 3)  # groups of 2 here


def test_recomputed_batchnorm_statistics_are_those_of_the_generators_own_outputs():
    import copy

    from gankit.models import draw_inputs, recompute_batchnorm

    config = Config(arch="dcgan", base_width=8, conditional=True, num_classes=10)
    generator, _ = build_models(config, (1, 28, 28))
    norms = [m for m in generator.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for norm in norms:  # statistics of other weights, as an EMA copies from the live G
        norm.running_mean.add_(3.0)
        norm.running_var.mul_(10.0)
        norm.momentum = 0.3
    noise, labels = draw_inputs(generator, 2000, "cpu", torch.Generator().manual_seed(1))
    with torch.no_grad():
        batch_statistics = copy.deepcopy(generator).train()(noise, labels)
        stale = generator.eval()(noise, labels)
        global_rng = torch.get_rng_state()
        recompute_batchnorm(generator, samples=5000)
        settled = generator(noise, labels)
    assert (stale - batch_statistics).abs().mean() > 0.1
    assert (settled - batch_statistics).abs().mean() < 0.01
    assert torch.equal(torch.get_rng_state(), global_rng)  # its own noise: training unchanged
    assert not any(m.training for m in generator.modules())
    assert all(norm.momentum == 0.3 for norm in norms)


def test_an_error_in_the_generator_step_leaves_the_discriminator_trainable():
    from gankit.steps import Networks, generator_step, make_optimizer

    config = Config(g_hidden=[8], d_hidden=[8], latent_dim=4)
    generator, discriminator = build_models(config, (1, 28, 28))
    nets = Networks(generator, discriminator)

    class BrokenLoss:
        probabilities = True

        def generator(self, logits):
            raise RuntimeError("a notebook's loss with a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        generator_step(nets, make_optimizer(generator, config, "g"), BrokenLoss(), 4)
    assert all(p.requires_grad for p in discriminator.parameters())
