"""What gankit.exercises says, in English and in French: for each check, its message when
the student's code passes and one for each mistake it can name, keyed as the check's
`found(...)` names them; `common` holds those that several checks share, and the words
that `render` puts in the messages.

The French follows the French notebooks' words: « la mise à jour de D » for a network's
update, « les images factices » for MNIST's fakes and « les faux points » for the lab's,
« les images réelles », « le périphérique » for a device, and intervals written [-1, 1].
A check's subject is « elle » for a function (la fonction) and « il » for a network (le
générateur, le discriminateur). French is written with plain spaces before : and ;, which
`typeset` turns into the no-break spaces of French typography; the messages ask no
questions in French.
"""

from __future__ import annotations

from gankit.wording import typeset

STEP_HINT = {
    "en": "The check calls it with tiny networks: G turns generator.latent_dim = 4 noise "
          "numbers into 6 pixels, D turns 6 pixels into one logit",
    "fr": "La vérification l'appelle avec de tout petits réseaux : G transforme "
          "generator.latent_dim = 4 nombres de bruit en 6 pixels, D transforme 6 pixels en "
          "un logit",
}
BCE_ON_LOGITS = {
    "en": "F.binary_cross_entropy expects probabilities, but D returns logits (any real "
          "number). Use F.binary_cross_entropy_with_logits, which applies the sigmoid itself.",
    "fr": "F.binary_cross_entropy attend des probabilités, mais D renvoie des logits (des "
          "réels quelconques). Utilisez F.binary_cross_entropy_with_logits, qui applique "
          "elle-même la sigmoïde.",
}
SIGMOID_FIRST = {
    "en": "the loss is given probabilities: binary_cross_entropy_with_logits applies the "
          "sigmoid itself, so a torch.sigmoid before it squashes D's output twice. Give it "
          "D's raw logits.",
    "fr": "la perte reçoit des probabilités : binary_cross_entropy_with_logits applique "
          "elle-même la sigmoïde, et un torch.sigmoid avant elle écrase deux fois la sortie "
          "de D. Donnez-lui les logits bruts de D.",
}
NOT_WRITTEN_METHOD = {
    "en": "{method} is not written yet: write it in place of `raise NotImplementedError`, "
          "run the class's cell, then run this check again.",
    "fr": "la méthode {method} n'est pas encore écrite : écrivez-la à la place de "
          "`raise NotImplementedError`, exécutez la cellule de la classe, puis relancez "
          "cette vérification.",
}
SLOPE = {
    "en": "it acts as {activation} where the notebook has nn.LeakyReLU(0.2): the slope of "
          "0.2 for negative inputs keeps gradients flowing through every unit. Write "
          "nn.LeakyReLU(0.2) (its default slope, like F.leaky_relu's, is 0.01).",
    "fr": "il se comporte comme {activation} là où le notebook a nn.LeakyReLU(0.2) : la pente "
          "de 0,2 pour les entrées négatives laisse passer le gradient par chaque neurone. "
          "Écrivez nn.LeakyReLU(0.2) (sa pente par défaut, comme celle de F.leaky_relu, est "
          "0,01).",
}
ACTIVATIONS = {
    "en": "loaded with its weights, the notebook's network gives another output: check the "
          "activations and their order, and that nothing else is added (a layer, a scaling) "
          "to the layers of the description.",
    "fr": "chargé avec ses poids, le réseau du notebook donne une autre sortie : vérifiez les "
          "activations et leur ordre, et que rien ne s'ajoute (une couche, un facteur) aux "
          "couches de la description.",
}
PARAMETERS = {
    "en": "it has {count} parameters where the notebook's has {expected}: Linear layers "
          "{layers}, each with its bias. Check the sizes of each layer.",
    "fr": "il a {count} paramètres, contre {expected} dans le notebook : des couches Linear "
          "{layers}, chacune avec son biais. Vérifiez la taille de chaque couche.",
}
POINTS_SUM = {
    "en": "torch.autograd.grad needs one number to differentiate: sum over the points first; "
          "each point's gradient is still its own, since D treats the points one by one.",
    "fr": "torch.autograd.grad a besoin d'un seul nombre à dériver : sommez d'abord sur les "
          "points ; le gradient de chaque point reste le sien, puisque D traite les points un "
          "par un.",
}
ATTACHED = {
    "en": "{key} is still attached to the step's graph (it requires grad): return detached "
          "values, loss.detach() and D's probabilities from logits.detach(). The training "
          "loop keeps the losses it is given, and with them, attached, the graph of every "
          "step, until memory runs out.",
    "fr": "{key} est encore attachée au graphe de la mise à jour (elle requiert un "
          "gradient) : renvoyez des valeurs détachées, loss.detach() et les probabilités de D "
          "calculées sur logits.detach(). La boucle d'entraînement garde les pertes qu'elle "
          "reçoit et, si elles sont attachées, le graphe de chaque mise à jour, jusqu'à "
          "épuiser la mémoire.",
}
ITEM = {
    "en": "{key} is a Python number (.item()), not a tensor: return loss.detach(), a tensor. "
          "The training loop stacks the values as tensors, and .item() would make it wait "
          "for the GPU at every step.",
    "fr": "{key} est un nombre Python (.item()), et non un tenseur : renvoyez "
          "loss.detach(), un tenseur. La boucle d'entraînement empile les valeurs sous forme "
          "de tenseurs, et .item() la ferait attendre le GPU à chaque mise à jour.",
}

OTHER_OPTIMIZER = {  # filled in with the network and its optimizer's name
    "en": "{net}'s weights did not change through {opt}: it steps another optimizer. Step the "
          "optimizer passed as `{opt}` (not another one: a global one holds other weights, and "
          "one made in the function would start afresh at each call).",
    "fr": "les poids de {net} n'ont pas été mis à jour par {opt} : elle fait avancer un "
          "autre optimiseur. Faites avancer l'optimiseur passé en `{opt}` (et non un autre : un "
          "optimiseur global porte sur d'autres poids, et un optimiseur créé dans la fonction "
          "repartirait de zéro à chaque appel).",
}
ATTACHED_LOSS = {
    "en": "it returns the loss still attached to the step's graph (it requires grad): return "
          "loss.detach(). The training loop keeps the losses it is given, and with them, "
          "attached, the graph of every step, until memory runs out.",
    "fr": "elle renvoie la perte encore attachée au graphe de la mise à jour (elle requiert un "
          "gradient) : renvoyez loss.detach(). La boucle d'entraînement garde les pertes "
          "qu'elle reçoit et, si elles sont attachées, le graphe de chaque mise à jour, "
          "jusqu'à épuiser la mémoire.",
}
ITEM_LOSS = {
    "en": "it returns a Python number (.item()), not a tensor: return loss.detach(). The "
          "training loop stacks the losses as tensors, and .item() would make it wait for "
          "the GPU at every step.",
    "fr": "elle renvoie un nombre Python (.item()), et non un tenseur : renvoyez "
          "loss.detach(). La boucle d'entraînement empile les pertes sous forme de tenseurs, "
          "et .item() la ferait attendre le GPU à chaque mise à jour.",
}

# What each check expects back, for the messages on a tuple, a list or a failing check.
RETURNS = {
    "en": {"generator": "the images", "discriminator": "the logits",
           "scale_pixels": "the scaled images", "train_discriminator": "the dict",
           "train_generator": "the loss", "minimax_generator_loss": "the loss",
           "r1_penalty": "the penalty", "fake_arrows": "the arrows"},
    "fr": {"generator": "les images", "discriminator": "les logits",
           "scale_pixels": "les images mises à l'échelle", "train_discriminator": "le dict",
           "train_generator": "la perte", "minimax_generator_loss": "la perte",
           "r1_penalty": "la pénalité", "fake_arrows": "les flèches"},
}

MESSAGES = {
    "en": {
        "common": {
            "not_written": "not written yet: write it in place of `raise NotImplementedError`, "
                           "run its cell, then run this check again.",
            "error": "your code raised {error_type}: {error}.",
            "unexpected": "the check could not use what your code gives ({error_type}: "
                          "{error}); it expects {returned}.",
            "not_class": "the check takes the class itself, a subclass of nn.Module "
                         "(check(..., {cls}), not {cls}()); it got {what}.",
            "not_tensor": "it returns {what}, not a torch tensor.",
            "not_scalar": "it returns a tensor of shape {shape}, not one number: average over "
                          "the batch with .mean().",
            "none": "it returns None: is the `return` missing?",
            "tuple": "it returns {what}; return only {returned}.",
            "grad_tuple": "torch.autograd.grad returns a tuple, one gradient per input, and "
                          "the code uses it as a tensor: unpack it, "
                          "`(gradient,) = torch.autograd.grad(...)`.",
            "float64": "it returns a tensor of {dtype}: return float32 (.float()), the "
                       "networks' dtype; later cells would fail with \"mat1 and mat2 must "
                       "have the same dtype\".",
            "tensor": "a tensor of shape {shape}",
            "object": "an object of type {type}",
            "tuple_of": "a tuple of {n}",
            "list_of": "a list of {n}",
            "value_one": "{n} value",
            "values": "{n} values",
            "half": "half",
        },
        "generator": {
            "passed": "right. One 1 × 28 × 28 image per noise vector, pixels in [-1, 1] "
                      "through a tanh, LeakyReLU(0.2) between the layers, all in one "
                      "nn.Sequential named net, with the notebook's parameter count.",
            "not_written": NOT_WRITTEN_METHOD["en"],
            "no_latent_dim": "it has no attribute latent_dim equal to 100: keep it in __init__ "
                             "(self.latent_dim = latent_dim); the training step reads it to "
                             "draw the noise.",
            "parameters": PARAMETERS["en"],
            "flat": "it returns {shape} for {n} noise vectors: 784 numbers per image rather "
                    "than an image. End forward with .view(-1, 1, 28, 28), the N × 1 × 28 × 28 "
                    "shape of the real images.",
            "shape": "it returns {shape} for {n} noise vectors; expected ({n}, 1, 28, 28): one "
                     "28 × 28 image with 1 channel per noise vector.",
            "dropout": "it gives two different images for the same noise: it has a dropout, "
                       "or other randomness. The notebook's G has none (dropout is D's): "
                       "remove it.",
            "never_negative": "its pixels are never negative, even for a very large noise "
                              "vector (z × 1000): a sigmoid or a ReLU at the end cannot make "
                              "the dark half of [-1, 1]. End with nn.Tanh(), so that fakes have "
                              "the range of the real pixels.",
            "no_tanh": "for a very large noise vector (z × 1000) its pixels go from {low} to "
                       "{high}, outside [-1, 1]: nothing bounds them. End with nn.Tanh(), so "
                       "that fakes have the range of the real pixels, [-1, 1].",
            "linear": "it is a linear function of z (up to the final tanh): with no "
                      "non-linearity between them, its Linear layers collapse into one matrix. "
                      "Put nn.LeakyReLU(0.2) after each hidden Linear layer.",
            "no_net": "its weights are named {keys} where the notebook's G names them "
                      "net.0.weight, net.0.bias, net.2.weight, …: put the layers in one "
                      "nn.Sequential named net, in the order of the description (Linear, "
                      "LeakyReLU, three times, then Linear and Tanh), because later cells read "
                      "generator.net[0] and gankit.load_generator reads the weights under "
                      "those names.",
            "slope": SLOPE["en"],
            "activations": ACTIVATIONS["en"],
            "error_hint": "The check builds it as Generator() and calls it on 3 noise vectors "
                          "of 100 numbers.",
        },
        "discriminator": {
            "passed": "right. One logit per image, no sigmoid, LeakyReLU(0.2) between the "
                      "layers, a dropout after each of them, on in train() and off in eval(), "
                      "all in one nn.Sequential named net, with the notebook's parameter "
                      "count.",
            "not_written": NOT_WRITTEN_METHOD["en"],
            "parameters": PARAMETERS["en"],
            "no_flatten": "it fails on images of shape (N, 1, 28, 28) but works on the same "
                          "images flattened: put nn.Flatten() first in net, so that the first "
                          "Linear layer gets 784 numbers per image.",
            "column": "it returns {shape} for {n} images: a column rather than {n} logits. End "
                      "forward with .squeeze(1), so that D's output has the shape (N,) of the "
                      "labels.",
            "shape": "it returns {shape} for {n} images; expected ({n},): one logit per image.",
            "sigmoid": "it returns probabilities (a sigmoid at the end): the loss, "
                       "binary_cross_entropy_with_logits, applies the sigmoid itself and "
                       "expects D's raw logits. Remove the final sigmoid; torch.sigmoid(logits) "
                       "gives D(x) where you need it.",
            "dropout_in_eval": "in eval() it gives two different answers for the same image: "
                               "its dropout stays on. F.dropout(x, 0.3) ignores eval(); use the "
                               "module nn.Dropout(0.3), which eval() switches off.",
            "no_dropout": "in train() it gives the same answer twice for the same image: it "
                          "has no dropout. Put nn.Dropout(dropout) after each LeakyReLU, with "
                          "dropout=0.3 by default.",
            "dropout_rate": "its dropout drops {rate} of the units, where the notebook's drops "
                            "30%: build it as nn.Dropout(dropout), from __init__'s argument "
                            "dropout=0.3.",
            "dropout_place": "in train(), with the same weights and the same random draws, "
                             "the notebook's D gives another output: its dropout is not where "
                             "the notebook's is. Put one nn.Dropout(dropout) right after each "
                             "hidden LeakyReLU, and none on the input or after the last "
                             "Linear layer.",
            "linear": "it is a linear function of the image: with no non-linearity between "
                      "them, its Linear layers collapse into one matrix, and D can only draw a "
                      "straight boundary. Put nn.LeakyReLU(0.2) after each hidden Linear layer.",
            "no_net": "its weights are named {keys} where the notebook's D names them "
                      "net.1.weight, net.1.bias, net.4.weight, …: put the layers in one "
                      "nn.Sequential named net, in the order of the description (nn.Flatten() "
                      "first, then Linear, LeakyReLU and Dropout three times, then the last "
                      "Linear), so that D's weights are saved under the names of gankit's copy "
                      "of the network.",
            "slope": SLOPE["en"],
            "activations": ACTIVATIONS["en"],
            "error_hint": "The check builds it as Discriminator() and calls it on 4 images of "
                          "shape (1, 28, 28).",
        },
        "scale_pixels": {
            "passed": "right. 0 → -1 and 255 → 1, as float32, in the shape of the images.",
            "shape": "it returns shape {shape} for images of shape {expected}: scaling must "
                     "keep the shape.",
            "integer_dtype": "it returns a tensor of {dtype}: whole numbers cannot hold -0.5 "
                             "or 0.0039. Convert to floats first: images.float() / 127.5 - 1.",
            "rounded": "it returns whole numbers only (0 → {zero}, 127 → {middle}, 255 → "
                       "{full}): integer division // rounds down. Divide with /: "
                       "images.float() / 127.5 - 1.",
            "zero_one": "it maps the pixels to [0, 1], the original notebook's ToTensor() "
                        "scaling. G's tanh makes fakes in [-1, 1], so D could tell real from "
                        "fake by the sign of the pixels alone. Scale to [-1, 1]: "
                        "images.float() / 127.5 - 1.",
            "zero_two": "it maps the pixels to [0, 2] (255 → 2): the - 1 is missing. Use "
                        "images.float() / 127.5 - 1.",
            "inverted": "it is upside down: 0 → 1 and 255 → -1, so the digits come out dark "
                        "on a light background. Use images.float() / 127.5 - 1 (0 → -1, "
                        "255 → 1).",
            "overflow": "it multiplies the uint8 pixels before converting them, and uint8 "
                        "arithmetic wraps around at 256 (255 × 2 gives 254). Convert first: "
                        "images.float() / 127.5 - 1.",
            "wrong": "it maps 0 → {zero}, 127 → {middle}, 255 → {full}; expected 0 → -1, "
                     "127 → {expected_middle}, 255 → 1: images.float() / 127.5 - 1.",
            "error_hint": "The check calls it on a uint8 tensor of shape (2, 1, 1, 3).",
        },
        "train_discriminator": {
            "passed": "right. One update of D on real images labelled 1 and detached fakes "
                      "labelled 0, gradients zeroed at each call, noise and labels on the "
                      "device of the real images, and D's mean probabilities on each half.",
            "tuple": 'it returns {what}; return one dict instead: {{"d_loss": '
                     'loss.detach(), "d_x": d[:n].mean(), "d_g_z": d[n:].mean()}}.',
            "not_dict": "it returns {what}; expected a dict with the keys d_loss, d_x and "
                        "d_g_z.",
            "keys": 'its dict has no {missing}: return {{"d_loss": ..., "d_x": ..., '
                    '"d_g_z": ...}}.',
            "not_number": "{key} is {what}, not one number: return the loss, and the means of "
                          "D's probabilities over the real half d[:n] and the fake half d[n:].",
            "no_detach": "the D step sent gradients into G (G's weights have a .grad after the "
                         "call): compute the fakes as generator(z).detach(), so that this step "
                         "trains D only and G's gradients do not pile up before its own step.",
            "swapped": "the labels are swapped: real images need label 1 and fakes label 0, in "
                       "the order of torch.cat([real, fake]): torch.cat([torch.ones(n), "
                       "torch.zeros(n)]).",
            "sigmoid_first": SIGMOID_FIRST["en"],
            "bce_on_logits": BCE_ON_LOGITS["en"],
            "halves_summed": "d_loss is twice the notebook's: the BCE of the real half plus "
                             "that of the fake half, where the notebook takes one mean over all "
                             "2n images (a sum of the two halves' means is twice that mean), "
                             "and its gradients are twice the notebook's too. Take one mean "
                             "over torch.cat([real, fake]), or halve the sum.",
            "loss_after": "d_loss is {got}, the loss of D after its update: return the loss "
                          "computed before the update, the one loss.backward() used, as "
                          "loss.detach().",
            "loss": "d_loss is {got} where the notebook's loss for this batch is {expected}: "
                    "F.binary_cross_entropy_with_logits(discriminator(torch.cat([real, fake])), "
                    "labels), with labels 1 for the real images and 0 for the fakes, the loss "
                    "computed before the update.",
            "other_optimizer": OTHER_OPTIMIZER["en"].format(net="D", opt="opt_d"),
            "no_step": "D's weights did not change: call opt_d.step() after loss.backward().",
            "no_gradient": "D's weights had no gradient to step with: call opt_d.zero_grad(), "
                           "loss.backward(), opt_d.step(), in that order (and not under "
                           "torch.no_grad()).",
            "update": "D's weights after the step differ from the notebook's: each call makes "
                      "exactly one opt_d.zero_grad(), loss.backward(), opt_d.step(), on this "
                      "batch's loss.",
            "no_zero_grad": "the first call is right, but the second moves D too far: "
                            "gradients pile up from one call to the next. Call "
                            "opt_d.zero_grad() before loss.backward().",
            "logits": "d_x and d_g_z are means of logits, not of probabilities: take "
                      "d = torch.sigmoid(logits.detach()) first, then d[:n].mean() and "
                      "d[n:].mean().",
            "halves": "d_x and d_g_z are swapped: d_x is D's mean probability on the real half "
                      "d[:n], d_g_z on the fake half d[n:].",
            "means": "d_x is {x} and d_g_z {g_z}, where D's mean probabilities in this step "
                     "are {expected_x} on the real half and {expected_g_z} on the fake half: "
                     "d = torch.sigmoid(logits.detach()), from the logits of the step, before "
                     "opt_d.step().",
            "item": ITEM["en"],
            "attached": ATTACHED["en"],
            "device": "make the noise and the labels on the device of the real images, "
                      "`device=real.device` (torch.randn and torch.ones make them on the CPU "
                      "otherwise): on a GPU this step would fail.",
            "error_hint": STEP_HINT["en"] + "; real is a batch of 8.",
        },
        "train_generator": {
            "passed": "right. One update of G through D, its fakes labelled real (the "
                      "non-saturating loss), D left unchanged, gradients zeroed at each call, "
                      "noise and labels on `device`, and the loss returned.",
            "d_changed": "the G step changed D's weights: step only opt_g, the optimizer over "
                         "generator.parameters(); D stays fixed while G learns.",
            "not_number": "it returns {what}, not the loss: return loss.detach().",
            "target_zero": "the target is 0: the loss then rewards G for fakes that D rejects, "
                           "which helps D instead of fooling it. Label the fakes as real: "
                           "torch.ones(n).",
            "minimax": "this is the paper's minimax loss log(1 - D(G(z))) (minus the BCE "
                       "against 0); the notebook's step uses the non-saturating -log D(G(z)), "
                       "the BCE against 1, whose gradient stays strong when D wins.",
            "sigmoid_first": SIGMOID_FIRST["en"],
            "bce_on_logits": BCE_ON_LOGITS["en"],
            "loss_after": "it returns {got}, the loss of G after its update: return the loss "
                          "computed before the update, the one loss.backward() used, as "
                          "loss.detach().",
            "no_gradient": "G's weights got no gradient: the fakes must stay attached to G in "
                           "its own step, so no .detach() and no torch.no_grad() there.",
            "other_optimizer": OTHER_OPTIMIZER["en"].format(net="G", opt="opt_g"),
            "no_step": "G's weights did not change: call opt_g.step() after loss.backward().",
            "returned": "it returns {got}, but the loss of this step is {expected} (the update "
                        "of G is right): return loss.detach().",
            "loss": "the loss is {got} where the notebook's is {expected}: "
                    "F.binary_cross_entropy_with_logits(discriminator(generator(z)), "
                    "torch.ones(n)), computed before the update.",
            "update": "G's weights after the step differ from the notebook's: each call makes "
                      "exactly one opt_g.zero_grad(), loss.backward(), opt_g.step(), on the "
                      "loss of fresh fakes.",
            "no_zero_grad": "the first call is right, but the second moves G too far: "
                            "gradients pile up from one call to the next. Call "
                            "opt_g.zero_grad() before loss.backward().",
            "item": ITEM_LOSS["en"],
            "attached": ATTACHED_LOSS["en"],
            "device": "make the noise and the labels on the device given as the `device` "
                      "argument, `device=device` (torch.randn and torch.ones make them on the "
                      "CPU otherwise): on a GPU this step would fail.",
            "error_hint": STEP_HINT["en"] + "; n = 8 and device = 'cpu'.",
        },
        "minimax_generator_loss": {
            "passed": "right. The mean of log(1 - D(G(z))), finite even for large logits.",
            "not_tensor": "it returns {what}, not a torch tensor: keep the loss a tensor (no "
                          ".item()), so that it can train G.",
            "detached": "autograd cannot follow the result back to the logits: build the loss "
                        "from fake_logits with torch operations, without .item(), float() or "
                        ".detach(), so that it can train G.",
            "nonsaturating": "this is the non-saturating loss -log D(G(z)), the one the "
                             "notebook trains with; the paper's minimax loss is "
                             "log(1 - D(G(z))): -F.softplus(fake_logits).mean().",
            "sign": "the sign is flipped: -log(1 - D(G(z))) is what D minimises on the fakes. "
                    "G minimises log(1 - D(G(z))) = -F.softplus(fake_logits).mean().",
            "no_sigmoid": "it treats the logits as probabilities: D(G(z)) is "
                          "torch.sigmoid(logit), and log(1 - logit) is NaN for any logit above "
                          "1. Use log(1 - sigmoid(l)), written stably as -F.softplus(l).",
            "batch_sum": "it sums over the batch: take the .mean(), so that the loss, and its "
                         "gradient, do not grow with the batch size.",
            "unstable": "it gives {got} for a logit of 40: in float32, sigmoid(40) itself "
                        "rounds to exactly 1, so 1 - sigmoid(40) is 0 and its log is -inf. Use "
                        "the stable form log(1 - sigmoid(l)) = -softplus(l): "
                        "-F.softplus(fake_logits).mean(), or F.logsigmoid(-fake_logits).mean().",
            "value": "it gives {got} for the logits {logits}, where the mean of "
                     "log(1 - sigmoid(l)) is {expected}.",
            "error_hint": "The check calls it on a 1-D tensor of logits, such as "
                          "torch.tensor([-2.0, -0.5, 0.3, 0.8]).",
        },
        "r1_penalty": {
            "passed": "right. γ/2 times the mean over the batch of ‖∇x D(x)‖² at the real "
                      "points, and it trains D's weights.",
            "points_need_grad": "autograd cannot differentiate with respect to real, which "
                                "does not require grad (a batch of data never does). Start with "
                                "real = real.detach().requires_grad_(True), as "
                                "gankit.losses.r1_penalty does.",
            "sum_outputs": "torch.autograd.grad needs one number to differentiate: use "
                           "discriminator(real).sum(); each point's gradient is still its own, "
                           "since D treats the points one by one.",
            "no_create_graph": "the penalty cannot train D: it has no gradient with respect to "
                               "D's weights. Pass create_graph=True to torch.autograd.grad, so "
                               "that the gradient can itself be differentiated.",
            "not_at_real": "it does not change when the real points change: take the gradient "
                           "at the points given, real, not at fakes or at another batch.",
            "not_squared": "it uses the norm ‖∇D(x)‖ rather than its square: "
                           "grad.pow(2).sum(1) for each point.",
            "gamma": "it is twice the expected value: the factor is γ/2, not γ.",
            "batch_sum": "it sums over the batch: take the mean over the points, "
                         "grad.pow(2).sum(1).mean().",
            "coordinates": "it also averages over each point's coordinates (half the value, "
                           "for 2-D points): sum the squares over the coordinates, then average "
                           "over the points: grad.pow(2).sum(1).mean().",
            "sigmoid": "it takes the gradient of D's probability, torch.sigmoid(discriminator("
                       "real)): R1 penalises the gradient of D's logit, discriminator(real) "
                       "itself, as gankit.losses.r1_penalty does.",
            "value": "it gives {got} where gankit.losses.r1_penalty gives {expected} "
                     "(γ = {gamma}).",
            "error_hint": "The check calls it with a tiny D on 2-D points, a batch of 6 real "
                          "points, and gamma = 3.",
        },
        "fake_arrows": {
            "passed": "right. At each fake point, minus the gradient of -log D(x): the "
                      "direction in which G's loss falls fastest, the lab's arrow.",
            "shape": "it returns {shape} for {n} fake points; expected ({n}, 2): one 2-D arrow "
                     "per point.",
            "points_need_grad": "autograd cannot differentiate with respect to the fakes, "
                                "which do not require grad: start with "
                                "x = fakes.detach().requires_grad_(True), then differentiate "
                                "with respect to x.",
            "sum_outputs": POINTS_SUM["en"],
            "sign": "the arrows point the wrong way: they are the gradient of G's loss, where "
                    "the lab draws minus the gradient, the way the loss decreases.",
            "minimax": "these are the arrows of the minimax loss log(1 - D(x)); the lab's "
                       "arrows follow the non-saturating loss -log D(x): "
                       "F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(n)).",
            "value": "the arrow at the first point is {got}, where minus the gradient of "
                     "-log D(x) there is {expected}.",
            "error_hint": "The check calls it with a tiny D on 2-D points and 6 fake points, a "
                          "tensor of shape (6, 2).",
        },
    },
    "fr": {
        "common": {
            "not_written": "pas encore écrite : écrivez-la à la place de "
                           "`raise NotImplementedError`, exécutez sa cellule, puis relancez "
                           "cette vérification.",
            "error": "votre code a levé l'exception {error_type} : {error}.",
            "unexpected": "la vérification ne peut pas utiliser ce que donne votre code "
                          "({error_type} : {error}) ; elle attend {returned}.",
            "not_class": "la vérification attend la classe elle-même, sous-classe de nn.Module "
                         "(check(..., {cls}), et non {cls}()) ; elle a reçu {what}.",
            "not_tensor": "le résultat est {what}, et non un tenseur torch.",
            "not_scalar": "elle renvoie un tenseur de forme {shape} et non un seul nombre : "
                          "faites la moyenne sur le lot avec .mean().",
            "none": "le résultat est None : il manque sans doute le `return`.",
            "tuple": "le résultat est {what} ; ne renvoyez que {returned}.",
            "grad_tuple": "torch.autograd.grad renvoie un tuple, un gradient par entrée, que le "
                          "code utilise comme un tenseur : dépaquetez-le, "
                          "`(gradient,) = torch.autograd.grad(...)`.",
            "float64": "le résultat est un tenseur de type {dtype} : renvoyez du float32 "
                       "(.float()), le type des réseaux ; les cellules suivantes échoueraient "
                       "sur « mat1 and mat2 must have the same dtype ».",
            "tensor": "un tenseur de forme {shape}",
            "object": "un objet de type {type}",
            "tuple_of": "un tuple de {n}",
            "list_of": "une liste de {n}",
            "value_one": "{n} valeur",
            "values": "{n} valeurs",
            "half": "la moitié",
        },
        "generator": {
            "passed": "c'est juste. Une image 1 × 28 × 28 par vecteur de bruit, des pixels "
                      "dans [-1, 1] grâce à la tanh, des LeakyReLU(0.2) entre les couches, le "
                      "tout dans un seul nn.Sequential nommé net, et le nombre de paramètres "
                      "du notebook.",
            "not_written": NOT_WRITTEN_METHOD["fr"],
            "no_latent_dim": "il n'a pas d'attribut latent_dim égal à 100 : gardez-le dans "
                             "__init__ (self.latent_dim = latent_dim) ; les mises à jour le "
                             "lisent pour tirer le bruit.",
            "parameters": PARAMETERS["fr"],
            "flat": "il renvoie {shape} pour {n} vecteurs de bruit : 784 nombres par image au "
                    "lieu d'une image. Terminez forward par .view(-1, 1, 28, 28), la forme "
                    "N × 1 × 28 × 28 des images réelles.",
            "shape": "il renvoie {shape} pour {n} vecteurs de bruit ; forme attendue : "
                     "({n}, 1, 28, 28), une image 28 × 28 à un canal par vecteur de bruit.",
            "dropout": "il donne deux images différentes pour le même bruit : il contient un "
                       "dropout, ou un autre tirage aléatoire. Le générateur du notebook n'en a "
                       "pas (le dropout est celui de D) : retirez-le.",
            "never_negative": "ses pixels ne sont jamais négatifs, même pour un très grand "
                              "vecteur de bruit (z × 1000) : une sigmoïde ou une ReLU en sortie "
                              "ne peut pas produire la moitié sombre de [-1, 1]. Terminez par "
                              "nn.Tanh(), pour que les images factices aient l'étendue des "
                              "pixels réels.",
            "no_tanh": "pour un très grand vecteur de bruit (z × 1000), ses pixels vont de "
                       "{low} à {high}, hors de [-1, 1] : rien ne les borne. Terminez par "
                       "nn.Tanh(), pour que les images factices aient l'étendue des pixels "
                       "réels, [-1, 1].",
            "linear": "c'est une fonction linéaire de z (à la tanh finale près) : sans "
                      "non-linéarité entre elles, ses couches Linear se réduisent à une seule "
                      "matrice. Placez nn.LeakyReLU(0.2) après chaque couche Linear cachée.",
            "no_net": "ses poids s'appellent {keys}, là où ceux du générateur du notebook "
                      "s'appellent net.0.weight, net.0.bias, net.2.weight, … : placez les "
                      "couches dans un seul nn.Sequential nommé net, dans l'ordre de la "
                      "description (Linear et LeakyReLU, trois fois, puis Linear et Tanh), car "
                      "les cellules suivantes lisent generator.net[0] et "
                      "gankit.load_generator lit les poids sous ces noms.",
            "slope": SLOPE["fr"],
            "activations": ACTIVATIONS["fr"],
            "error_hint": "La vérification le construit avec Generator() et l'appelle sur 3 "
                          "vecteurs de bruit de 100 nombres.",
        },
        "discriminator": {
            "passed": "c'est juste. Un logit par image, sans sigmoïde, des LeakyReLU(0.2) "
                      "entre les couches, chacune suivie d'un dropout actif en train() et "
                      "coupé en eval(), le tout dans un seul nn.Sequential nommé net, et le "
                      "nombre de paramètres du notebook.",
            "not_written": NOT_WRITTEN_METHOD["fr"],
            "parameters": PARAMETERS["fr"],
            "no_flatten": "il échoue sur des images de forme (N, 1, 28, 28) mais fonctionne "
                          "sur les mêmes images aplaties : placez nn.Flatten() en tête de net, "
                          "pour que la première couche Linear reçoive 784 nombres par image.",
            "column": "il renvoie {shape} pour {n} images : une colonne au lieu de {n} "
                      "logits. Terminez forward par .squeeze(1), pour que la sortie de D ait la "
                      "forme (N,) des étiquettes.",
            "shape": "il renvoie {shape} pour {n} images ; forme attendue : ({n},), un logit "
                     "par image.",
            "sigmoid": "il renvoie des probabilités (une sigmoïde en sortie) : la perte, "
                       "binary_cross_entropy_with_logits, applique elle-même la sigmoïde et "
                       "attend les logits bruts de D. Retirez la sigmoïde finale ; "
                       "torch.sigmoid(logits) donne D(x) là où vous en avez besoin.",
            "dropout_in_eval": "en eval(), il donne deux réponses différentes pour la même "
                               "image : son dropout reste actif. F.dropout(x, 0.3) ignore "
                               "eval() ; utilisez le module nn.Dropout(0.3), que eval() "
                               "désactive.",
            "no_dropout": "en train(), il donne deux fois la même réponse pour la même image : "
                          "il n'a pas de dropout. Placez nn.Dropout(dropout) après chaque "
                          "LeakyReLU, avec dropout=0.3 par défaut.",
            "dropout_rate": "son dropout éteint {rate} des neurones, contre 30 % dans le "
                            "notebook : construisez-le avec nn.Dropout(dropout), à partir de "
                            "l'argument de __init__, dropout=0.3.",
            "dropout_place": "en train(), avec les mêmes poids et les mêmes tirages "
                             "aléatoires, le discriminateur du notebook donne une autre "
                             "sortie : son dropout n'est pas là où est celui du notebook. "
                             "Placez un nn.Dropout(dropout) juste après chaque LeakyReLU "
                             "cachée, et aucun sur l'entrée ni après la dernière couche Linear.",
            "linear": "c'est une fonction linéaire de l'image : sans non-linéarité entre elles, "
                      "ses couches Linear se réduisent à une seule matrice, et D ne peut tracer "
                      "qu'une frontière droite. Placez nn.LeakyReLU(0.2) après chaque couche "
                      "Linear cachée.",
            "no_net": "ses poids s'appellent {keys}, là où ceux du discriminateur du notebook "
                      "s'appellent net.1.weight, net.1.bias, net.4.weight, … : placez les "
                      "couches dans un seul nn.Sequential nommé net, dans l'ordre de la "
                      "description (nn.Flatten() en tête, puis Linear, LeakyReLU et Dropout, "
                      "trois fois, puis la dernière Linear), pour que ses poids soient "
                      "enregistrés sous les noms de la copie de ce réseau que contient gankit.",
            "slope": SLOPE["fr"],
            "activations": ACTIVATIONS["fr"],
            "error_hint": "La vérification le construit avec Discriminator() et l'appelle sur "
                          "4 images de forme (1, 28, 28).",
        },
        "scale_pixels": {
            "passed": "c'est juste. 0 → -1 et 255 → 1, en float32, à la forme des images.",
            "shape": "elle renvoie la forme {shape} pour des images de forme {expected} : la "
                     "mise à l'échelle doit garder la forme.",
            "integer_dtype": "elle renvoie un tenseur de type {dtype} : des entiers ne peuvent "
                             "pas valoir -0,5 ni 0,0039. Convertissez d'abord en flottants : "
                             "images.float() / 127.5 - 1.",
            "rounded": "elle ne renvoie que des nombres entiers (0 → {zero}, 127 → {middle}, "
                       "255 → {full}) : la division entière // arrondit vers le bas. Divisez "
                       "avec / : images.float() / 127.5 - 1.",
            "zero_one": "elle ramène les pixels dans [0, 1], comme le ToTensor() du notebook "
                        "d'origine. La tanh de G produit des images factices dans [-1, 1] : D "
                        "pourrait distinguer les images réelles des images factices au seul "
                        "signe des pixels. Ramenez-les dans [-1, 1] : "
                        "images.float() / 127.5 - 1.",
            "zero_two": "elle ramène les pixels dans [0, 2] (255 → 2) : il manque le - 1. "
                        "Utilisez images.float() / 127.5 - 1.",
            "inverted": "elle est inversée : 0 → 1 et 255 → -1, si bien que les chiffres "
                        "sortent foncés sur fond clair. Utilisez images.float() / 127.5 - 1 "
                        "(0 → -1, 255 → 1).",
            "overflow": "elle multiplie les pixels uint8 avant de les convertir, or "
                        "l'arithmétique uint8 repart de 0 après 255 (255 × 2 donne 254). "
                        "Convertissez d'abord : images.float() / 127.5 - 1.",
            "wrong": "elle donne 0 → {zero}, 127 → {middle}, 255 → {full} ; attendu : "
                     "0 → -1, 127 → {expected_middle}, 255 → 1, soit "
                     "images.float() / 127.5 - 1.",
            "error_hint": "La vérification l'appelle sur un tenseur uint8 de forme "
                          "(2, 1, 1, 3).",
        },
        "train_discriminator": {
            "passed": "c'est juste. Une mise à jour de D sur les images réelles étiquetées 1 "
                      "et les images factices détachées étiquetées 0, les gradients remis à "
                      "zéro à chaque appel, le bruit et les étiquettes sur le périphérique des "
                      "images réelles, et les probabilités moyennes de D sur chaque moitié.",
            "tuple": 'le résultat est {what} ; renvoyez plutôt un seul dict : '
                     '{{"d_loss": loss.detach(), "d_x": d[:n].mean(), "d_g_z": '
                     'd[n:].mean()}}.',
            "not_dict": "elle renvoie {what} ; attendu : un dict avec les clés d_loss, d_x et "
                        "d_g_z.",
            "keys": 'son dict n\'a pas de {missing} : renvoyez {{"d_loss": ..., "d_x": ..., '
                    '"d_g_z": ...}}.',
            "not_number": "{key} vaut {what}, et non un seul nombre : renvoyez la perte, puis "
                          "les moyennes des probabilités de D sur la moitié réelle d[:n] et la "
                          "moitié factice d[n:].",
            "no_detach": "la mise à jour de D a envoyé des gradients dans G (ses poids ont un "
                         ".grad après l'appel) : calculez les images factices avec "
                         "generator(z).detach(), pour que cette mise à jour n'entraîne que D et "
                         "que les gradients de G ne s'accumulent pas avant sa propre mise à "
                         "jour.",
            "swapped": "les étiquettes sont inversées : les images réelles prennent "
                       "l'étiquette 1 et les images factices l'étiquette 0, dans l'ordre de "
                       "torch.cat([real, fake]) : torch.cat([torch.ones(n), torch.zeros(n)]).",
            "sigmoid_first": SIGMOID_FIRST["fr"],
            "bce_on_logits": BCE_ON_LOGITS["fr"],
            "halves_summed": "d_loss vaut le double de celle du notebook : la BCE de la moitié "
                             "réelle plus celle de la moitié factice, là où le notebook prend "
                             "une seule moyenne sur les 2n images (la somme des moyennes des "
                             "deux moitiés vaut le double de cette moyenne), et ses gradients "
                             "valent eux aussi le double de ceux du notebook. Prenez une seule "
                             "moyenne sur torch.cat([real, fake]), ou divisez la somme par "
                             "deux.",
            "loss_after": "d_loss vaut {got}, la perte de D après sa mise à jour : renvoyez la "
                          "perte calculée avant la mise à jour, celle qu'a utilisée "
                          "loss.backward(), sous la forme loss.detach().",
            "loss": "d_loss vaut {got}, alors que la perte du notebook pour ce lot vaut "
                    "{expected} : F.binary_cross_entropy_with_logits(discriminator("
                    "torch.cat([real, fake])), labels), avec l'étiquette 1 pour les images "
                    "réelles et 0 pour les images factices, la perte calculée avant la mise à "
                    "jour.",
            "other_optimizer": OTHER_OPTIMIZER["fr"].format(net="D", opt="opt_d"),
            "no_step": "les poids de D n'ont pas changé : appelez opt_d.step() après "
                       "loss.backward().",
            "no_gradient": "les poids de D n'avaient aucun gradient pour avancer : appelez "
                           "opt_d.zero_grad(), loss.backward(), opt_d.step(), dans cet ordre "
                           "(et pas sous torch.no_grad()).",
            "update": "les poids de D après la mise à jour diffèrent de ceux du notebook : "
                      "chaque appel fait exactement un opt_d.zero_grad(), un loss.backward() "
                      "et un opt_d.step(), sur la perte de ce lot.",
            "no_zero_grad": "le premier appel est juste, mais le second déplace D trop loin : "
                            "les gradients s'accumulent d'un appel à l'autre. Appelez "
                            "opt_d.zero_grad() avant loss.backward().",
            "logits": "d_x et d_g_z sont des moyennes de logits, pas de probabilités : calculez "
                      "d'abord d = torch.sigmoid(logits.detach()), puis d[:n].mean() et "
                      "d[n:].mean().",
            "halves": "d_x et d_g_z sont inversés : d_x est la probabilité moyenne de D sur la "
                      "moitié réelle d[:n], d_g_z sur la moitié factice d[n:].",
            "means": "d_x vaut {x} et d_g_z {g_z}, alors que les probabilités moyennes de D "
                     "dans cette mise à jour valent {expected_x} sur la moitié réelle et "
                     "{expected_g_z} sur la moitié factice : "
                     "d = torch.sigmoid(logits.detach()), à partir des logits de la mise à "
                     "jour, avant opt_d.step().",
            "item": ITEM["fr"],
            "attached": ATTACHED["fr"],
            "device": "créez le bruit et les étiquettes sur le périphérique des images "
                      "réelles, `device=real.device` (sinon torch.randn et torch.ones les "
                      "créent sur le processeur) : sur un GPU, cette mise à jour échouerait.",
            "error_hint": STEP_HINT["fr"] + " ; real est un lot de 8.",
        },
        "train_generator": {
            "passed": "c'est juste. Une mise à jour de G à travers D, ses images factices "
                      "étiquetées comme réelles (la perte non saturante), D laissé intact, les "
                      "gradients remis à zéro à chaque appel, le bruit et les étiquettes sur "
                      "`device`, et la perte renvoyée.",
            "d_changed": "la mise à jour de G a modifié les poids de D : n'avancez que opt_g, "
                         "l'optimiseur de generator.parameters() ; D reste fixe pendant que G "
                         "apprend.",
            "not_number": "le résultat est {what} et non la perte : renvoyez loss.detach().",
            "target_zero": "la cible vaut 0 : la perte récompense alors G pour des images "
                           "factices que D rejette, ce qui aide D au lieu de le tromper. "
                           "Étiquetez les images factices comme réelles : torch.ones(n).",
            "minimax": "c'est la perte minimax de l'article, log(1 - D(G(z))) (l'opposé de la "
                       "BCE contre 0) ; la mise à jour du notebook utilise la perte non "
                       "saturante -log D(G(z)), la BCE contre 1, dont le gradient reste fort "
                       "quand D gagne.",
            "sigmoid_first": SIGMOID_FIRST["fr"],
            "bce_on_logits": BCE_ON_LOGITS["fr"],
            "loss_after": "elle renvoie {got}, la perte de G après sa mise à jour : renvoyez "
                          "la perte calculée avant la mise à jour, celle qu'a utilisée "
                          "loss.backward(), sous la forme loss.detach().",
            "no_gradient": "les poids de G n'ont reçu aucun gradient : les images factices "
                           "doivent rester reliées à G pendant sa propre mise à jour, donc ni "
                           ".detach() ni torch.no_grad() ici.",
            "other_optimizer": OTHER_OPTIMIZER["fr"].format(net="G", opt="opt_g"),
            "no_step": "les poids de G n'ont pas changé : appelez opt_g.step() après "
                       "loss.backward().",
            "returned": "elle renvoie {got}, mais la perte de cette mise à jour vaut "
                        "{expected} (la mise à jour de G est juste) : renvoyez loss.detach().",
            "loss": "la perte vaut {got}, alors que celle du notebook vaut {expected} : "
                    "F.binary_cross_entropy_with_logits(discriminator(generator(z)), "
                    "torch.ones(n)), calculée avant la mise à jour.",
            "update": "les poids de G après la mise à jour diffèrent de ceux du notebook : "
                      "chaque appel fait exactement un opt_g.zero_grad(), un loss.backward() "
                      "et un opt_g.step(), sur la perte de nouvelles images factices.",
            "no_zero_grad": "le premier appel est juste, mais le second déplace G trop loin : "
                            "les gradients s'accumulent d'un appel à l'autre. Appelez "
                            "opt_g.zero_grad() avant loss.backward().",
            "item": ITEM_LOSS["fr"],
            "attached": ATTACHED_LOSS["fr"],
            "device": "créez le bruit et les étiquettes sur le périphérique donné en argument, "
                      "`device=device` (sinon torch.randn et torch.ones les créent sur le "
                      "processeur) : sur un GPU, cette mise à jour échouerait.",
            "error_hint": STEP_HINT["fr"] + " ; n = 8 et device = 'cpu'.",
        },
        "minimax_generator_loss": {
            "passed": "c'est juste. La moyenne de log(1 - D(G(z))), finie même pour de grands "
                      "logits.",
            "not_tensor": "elle renvoie {what}, et non un tenseur torch : gardez la perte sous "
                          "forme de tenseur (pas de .item()), pour qu'elle puisse entraîner G.",
            "detached": "autograd ne peut pas remonter du résultat jusqu'aux logits : "
                        "construisez la perte à partir de fake_logits avec des opérations "
                        "torch, sans .item(), float() ni .detach(), pour qu'elle puisse "
                        "entraîner G.",
            "nonsaturating": "c'est la perte non saturante -log D(G(z)), celle avec laquelle "
                             "le notebook entraîne ; la perte minimax de l'article est "
                             "log(1 - D(G(z))) : -F.softplus(fake_logits).mean().",
            "sign": "le signe est inversé : -log(1 - D(G(z))) est ce que D minimise sur les "
                    "images factices. G minimise log(1 - D(G(z))) = "
                    "-F.softplus(fake_logits).mean().",
            "no_sigmoid": "elle traite les logits comme des probabilités : D(G(z)) vaut "
                          "torch.sigmoid(logit), et log(1 - logit) donne NaN dès qu'un logit "
                          "dépasse 1. Utilisez log(1 - sigmoid(l)), qui s'écrit de façon stable "
                          "-F.softplus(l).",
            "batch_sum": "elle fait la somme sur le lot : prenez la moyenne (.mean()), pour que "
                         "la perte et son gradient ne grandissent pas avec la taille du lot.",
            "unstable": "elle donne {got} pour un logit de 40 : en float32, sigmoid(40) "
                        "s'arrondit elle-même à exactement 1, si bien que 1 - sigmoid(40) vaut "
                        "0 et son log -inf. Utilisez la forme stable log(1 - sigmoid(l)) = "
                        "-softplus(l) : -F.softplus(fake_logits).mean(), ou "
                        "F.logsigmoid(-fake_logits).mean().",
            "value": "elle donne {got} pour les logits {logits}, alors que la moyenne de "
                     "log(1 - sigmoid(l)) vaut {expected}.",
            "error_hint": "La vérification l'appelle sur un tenseur de logits à une dimension, "
                          "comme torch.tensor([-2.0, -0.5, 0.3, 0.8]).",
        },
        "r1_penalty": {
            "passed": "c'est juste. γ/2 fois la moyenne sur le lot de ‖∇x D(x)‖² aux vrais "
                      "points, et elle entraîne les poids de D.",
            "points_need_grad": "autograd ne peut pas dériver par rapport à real, qui ne "
                                "requiert pas de gradient (un lot de données n'en requiert "
                                "jamais). Commencez par real = real.detach().requires_grad_("
                                "True), comme gankit.losses.r1_penalty.",
            "sum_outputs": "torch.autograd.grad a besoin d'un seul nombre à dériver : prenez "
                           "discriminator(real).sum() ; le gradient de chaque point reste le "
                           "sien, puisque D traite les points un par un.",
            "no_create_graph": "la pénalité ne peut pas entraîner D : elle n'a pas de gradient "
                               "par rapport aux poids de D. Passez create_graph=True à "
                               "torch.autograd.grad, pour que le gradient puisse lui-même être "
                               "dérivé.",
            "not_at_real": "elle ne change pas quand les vrais points changent : prenez le "
                           "gradient aux points donnés, real, et non aux faux points ou à un "
                           "autre lot.",
            "not_squared": "elle utilise la norme ‖∇D(x)‖ au lieu de son carré : "
                           "grad.pow(2).sum(1) pour chaque point.",
            "gamma": "elle vaut le double de la valeur attendue : le facteur est γ/2, pas γ.",
            "batch_sum": "elle fait la somme sur le lot : prenez la moyenne sur les points, "
                         "grad.pow(2).sum(1).mean().",
            "coordinates": "elle fait aussi la moyenne sur les coordonnées de chaque point (la "
                           "moitié de la valeur, pour des points en 2D) : sommez les carrés sur "
                           "les coordonnées, puis faites la moyenne sur les points, "
                           "grad.pow(2).sum(1).mean().",
            "sigmoid": "elle prend le gradient de la probabilité de D, torch.sigmoid("
                       "discriminator(real)) : R1 pénalise le gradient du logit de D, "
                       "discriminator(real) lui-même, comme gankit.losses.r1_penalty.",
            "value": "elle donne {got}, alors que gankit.losses.r1_penalty donne {expected} "
                     "(γ = {gamma}).",
            "error_hint": "La vérification l'appelle avec un petit D sur des points en 2D, un "
                          "lot de 6 vrais points, et gamma = 3.",
        },
        "fake_arrows": {
            "passed": "c'est juste. En chaque faux point, l'opposé du gradient de -log D(x) : "
                      "la direction où la perte de G baisse le plus vite, la flèche du labo.",
            "shape": "elle renvoie {shape} pour {n} faux points ; forme attendue : ({n}, 2), "
                     "une flèche en 2D par point.",
            "points_need_grad": "autograd ne peut pas dériver par rapport aux faux points, qui "
                                "ne requièrent pas de gradient : commencez par "
                                "x = fakes.detach().requires_grad_(True), puis dérivez par "
                                "rapport à x.",
            "sum_outputs": POINTS_SUM["fr"],
            "sign": "les flèches pointent à l'envers : c'est le gradient de la perte de G, "
                    "alors que le labo dessine l'opposé du gradient, la direction où la perte "
                    "baisse.",
            "minimax": "ce sont les flèches de la perte minimax log(1 - D(x)) ; celles du labo "
                       "suivent la perte non saturante -log D(x) : "
                       "F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(n)).",
            "value": "la flèche du premier point vaut {got}, alors que l'opposé du gradient de "
                     "-log D(x) y vaut {expected}.",
            "error_hint": "La vérification l'appelle avec un petit D sur des points en 2D et 6 "
                          "faux points, un tenseur de forme (6, 2).",
        },
    },
}
MESSAGES["fr"] = {name: {key: typeset(text) for key, text in words.items()}
                  for name, words in MESSAGES["fr"].items()}
RETURNS["fr"] = {name: typeset(text) for name, text in RETURNS["fr"].items()}
