"""gankit's error messages in French, each found by its English template (the first
argument of gankit.errors.phrase, exactly as the source spells it).

The French is written with plain spaces before : ; ? ! and inside « »; `typeset` turns
them into the no-break spaces of French typography. The placeholders are the English
template's; a number among the values comes out with a decimal comma. The words are the
French notebooks' and gankit.language's: itération (a training step), lot (a batch), taux
d'apprentissage, point de reprise (a checkpoint), dossier de l'entraînement (a run dir),
préréglage (a preset), jeu de données; flags, file names and config keys stay as typed.
"""

from __future__ import annotations

from gankit.wording import typeset

FRENCH = {
    # errors.py
    "gankit: error: {message}": "gankit : erreur : {message}",
    "gankit: warning: the file system of {folder} cannot lock it ({reason}): nothing stops "
    "a second process from writing this run":
        "gankit : avertissement : le système de fichiers de {folder} ne permet pas de le "
        "verrouiller ({reason}) : rien n'empêche un second processus d'écrire dans cet "
        "entraînement",
    "gankit: skipped {count} line(s) of {path} that are not gankit records":
        "gankit : {count} ligne(s) de {path} ignorée(s) : ce ne sont pas des enregistrements "
        "de gankit",
    "gankit: {export} is from step {exported}, older than {last} (step {saved}): sampling "
    "from last.pt":
        "gankit : {export} date de l'itération {exported}, avant {last} (itération {saved}) : "
        "les échantillons sont tirés de last.pt",
    "gankit: stopped by {signal}": "gankit : arrêté par {signal}",
    "gankit: stopped by {signal} before training began: nothing was saved, and the same "
    "command starts it again":
        "gankit : arrêté par {signal} avant le début de l'entraînement : rien n'a été "
        "enregistré, et la même commande le relance",
    "gankit: stopped by {signal}: nothing was written":
        "gankit : arrêté par {signal} : rien n'a été écrit",
    "gankit: stopped by {signal}: nothing was recorded":
        "gankit : arrêté par {signal} : rien n'a été enregistré",
    "gankit: stopped by {signal}: the previous report is unchanged":
        "gankit : arrêté par {signal} : le rapport précédent est inchangé",
    "a file": "un fichier",
    "{message} ({advice})": "{message} ({advice})",
    "cannot write {what}: {reason}": "impossible d'écrire {what} : {reason}",
    "cannot read {what}: {reason}": "impossible de lire {what} : {reason}",
    "cannot lock {what}: {reason}": "impossible de verrouiller {what} : {reason}",
    "cannot remove {what}: {reason}": "impossible de supprimer {what} : {reason}",
    "rank {rank} lost contact with the other processes of this torchrun, one of which "
    "stopped ({error}); the run keeps its last checkpoint: resume it with the same torchrun "
    "command and gankit {command} --resume RUN_DIR":
        "le processus de rang {rank} a perdu le contact avec les autres processus de ce "
        "torchrun, dont l'un s'est arrêté ({error}) ; l'entraînement garde son dernier point "
        "de reprise : reprenez-le avec la même commande torchrun et gankit {command} --resume "
        "RUN_DIR",
    "cannot write or read {what}: {reason}": "impossible d'écrire ou de lire {what} : {reason}",
    "free some space on that disk and run the command again":
        "libérez de la place sur ce disque et relancez la commande",
    "free some space within your quota and run the command again":
        "libérez de la place dans votre quota et relancez la commande",
    "the file system is read-only: choose a writable folder":
        "le système de fichiers est en lecture seule : choisissez un dossier accessible en "
        "écriture",
    "check the permissions of the file and its folder":
        "vérifiez les droits d'accès du fichier et de son dossier",
    "check the permissions (and attributes, such as chattr +i) of the file":
        "vérifiez les droits d'accès (et les attributs, comme chattr +i) du fichier",
    "a symbolic link on the path points back to itself":
        "un lien symbolique du chemin pointe sur lui-même",
    "a part of the path is a file, not a folder":
        "une partie du chemin est un fichier, et non un dossier",
    "check the path (a symbolic link on it may point nowhere)":
        "vérifiez le chemin (l'un de ses liens symboliques pointe peut-être dans le vide)",
    "the path is a folder, not a file": "le chemin est un dossier, et non un fichier",

    # cli.py
    "{prog}: error: {message} (see {prog} --help)":
        "{prog} : erreur : {message} (voir {prog} --help)",
    "--fallback is for --resume RUN_DIR": "--fallback ne s'emploie qu'avec --resume RUN_DIR",
    "--resume takes no --config or --overwrite: the run keeps its own":
        "--resume ne prend ni --config ni --overwrite : l'entraînement garde les siens",
    "--n must be at least 1, got {n}": "--n doit valoir au moins 1, et non {n}",
    "--interpolate K needs K >= 2 and an --out ending in .gif":
        "--interpolate K demande K >= 2 et un --out qui se termine par .gif",
    "a .gif output needs --interpolate K": "une sortie .gif demande --interpolate K",
    "a lab run draws unconditional 2-D points: no --label or --interpolate":
        "un entraînement du labo tire des points 2D non conditionnels : ni --label ni "
        "--interpolate",
    "a lab run draws 2-D points: --out must end in .npz (float32 N x 2 under 'points') or "
    ".png (a scatter over the real points)":
        "un entraînement du labo tire des points 2D : --out doit se terminer par .npz "
        "(float32 N x 2 sous 'points') ou par .png (un nuage de points sur les vrais points)",
    "--n counts samples drawn from a generator; an .npz brings its own (evaluate uses all "
    "of them)":
        "--n compte les échantillons tirés d'un générateur ; un .npz apporte les siens "
        "(evaluate les utilise tous)",
    "a lab run is measured by its toy's own metrics (modes, high_quality, js): it takes no "
    "--metrics or --dataset":
        "un entraînement du labo se mesure par les mesures propres à son jeu de données "
        "jouet (modes, high_quality, js) : il ne prend ni --metrics ni --dataset",
    "gankit: this evaluation was not recorded in the run: {error}":
        "gankit : cette évaluation n'a pas été enregistrée dans le dossier de "
        "l'entraînement : {error}",
    " or ": " ou ",
    "{out}: --out must end in {kinds}, or name a new folder":
        "{out} : --out doit se terminer par {kinds}, ou nommer un nouveau dossier",
    "{out}: --out must end in {kinds}": "{out} : --out doit se terminer par {kinds}",
    "folder {folder} does not exist": "le dossier {folder} n'existe pas",
    "{out} is an existing folder; it is never overwritten":
        "{out} est un dossier existant ; il n'est jamais écrasé",
    "{out} already exists (pass --overwrite to replace it)":
        "{out} existe déjà (ajoutez --overwrite pour le remplacer)",
    "{out} is a file; a folder of PNGs needs a new or empty folder":
        "{out} est un fichier ; un dossier de PNG demande un dossier nouveau ou vide",

    # config.py
    "unknown preset {preset!r}; choose from {choices}":
        "préréglage inconnu {preset!r} ; choisissez parmi {choices}",
    "config file {path}": "le fichier de configuration {path}",
    "config file not found: {path}": "fichier de configuration introuvable : {path}",
    "config file {path} is a folder; give a .toml file":
        "le fichier de configuration {path} est un dossier ; donnez un fichier .toml",
    "cannot read config file {path}: {error}":
        "impossible de lire le fichier de configuration {path} : {error}",
    "config file {path} is not valid TOML: {error}":
        "le fichier de configuration {path} n'est pas du TOML valide : {error}",
    "betas must be two numbers, got {betas}": "betas doit contenir deux nombres, et non {betas}",
    "channels must be 1 or 3, got 2": "channels doit valoir 1 ou 3, et non 2",
    "precision must be fp32 or bf16, got {precision!r}":
        "precision doit valoir fp32 ou bf16, et non {precision!r}",
    "num_classes is set from the data, for conditional runs only":
        "num_classes est fixé d'après les données, et seulement pour les entraînements "
        "conditionnels",
    "--clusters is for unconditional GANs; a conditional one has labels":
        "--clusters est réservé aux GAN non conditionnels ; un GAN conditionnel a déjà ses "
        "étiquettes",
    "--aux-classifier needs classes to learn: --conditional or --clusters":
        "--aux-classifier demande des classes à apprendre : --conditional ou --clusters",
    "dataset must not be empty": "dataset ne doit pas être vide",
    "{name} {value!r} holds a byte that is not UTF-8 text: rename the folder":
        "{name} {value!r} contient un octet qui n'est pas du texte UTF-8 : renommez le dossier",
    "cannot change {name} when resuming (run has {saved!r}, asked {asked!r}); a resume keeps "
    "what defines the experiment and may change only {changeable}":
        "impossible de changer {name} à la reprise (l'entraînement a {saved!r}, vous demandez "
        "{asked!r}) ; une reprise garde ce qui définit l'expérience et ne peut changer que "
        "{changeable}",
    "{name} must be a finite number, got {value}":
        "{name} doit être un nombre fini, et non {value}",
    "{name} must be at least {low} and below {below}, got {value}":
        "{name} doit être supérieur ou égal à {low} et strictement inférieur à {below}, et non "
        "{value}",
    "{name} must be between {low} and {high}, got {value}":
        "{name} doit être compris entre {low} et {high}, et non {value}",
    "option": "les options",
    "config": "la configuration",
    "checkpoint": "le point de reprise",
    "unknown key {key!r} in {source}": "clé inconnue {key!r} dans {source}",
    "{key} in {source} must be {expected}, got {value!r}":
        "{key} dans {source} doit être {expected}, et non {value!r}",
    "true or false": "true ou false",
    "an integer": "un nombre entier",
    "a number": "un nombre",
    "a number in floating-point range": "un nombre représentable en virgule flottante",
    "a string": "une chaîne de caractères",
    "a non-empty list of {kind}s": "une liste non vide d'éléments {kind}",

    # data.py
    "the lab's toys train unconditional GANs; {dataset} has no labels":
        "les jeux de données jouets du labo entraînent des GAN non conditionnels ; {dataset} "
        "n'a pas d'étiquettes",
    "--conditional needs a labelled dataset; {dataset} has none":
        "--conditional demande un jeu de données étiqueté ; {dataset} n'a pas d'étiquettes",
    "unknown dataset {dataset!r}; choose from {names}":
        "jeu de données inconnu {dataset!r} ; choisissez parmi {names}",
    "{dataset} is 28x28 grayscale: use image_size 28 and channels 1":
        "{dataset} est en niveaux de gris, en 28x28 : utilisez image_size 28 et channels 1",
    "cannot read {path}: {reason}": "impossible de lire {path} : {reason}",
    "{path} is a corrupt or truncated gzip file ({error})":
        "{path} est un fichier gzip corrompu ou tronqué ({error})",
    "{name} is not an IDX file (bad magic number {magic})":
        "{name} n'est pas un fichier IDX (nombre magique incorrect : {magic})",
    "empty": "vide",
    "{name} has a truncated or invalid IDX header":
        "{name} a un en-tête IDX tronqué ou invalide",
    "{name} has an implausible IDX shape {shape} (at most {dims} dimensions and "
    "{elements:,} elements)":
        "{name} a une forme IDX invraisemblable, {shape} (au plus {dims} dimensions et "
        "{elements:,} éléments)",
    "{name} is truncated: header says {shape} ({expected} bytes of data), found {found}":
        "{name} est tronqué : l'en-tête annonce {shape} ({expected} octets de données), le "
        "fichier en a {found}",
    "{name} has trailing bytes: header says {shape} ({expected} bytes of data), found "
    "{found}":
        "{name} a des octets en trop : l'en-tête annonce {shape} ({expected} octets de "
        "données), le fichier en a {found}",
    "{directory}: expected N x H x W images and N labels, got shapes {images} and {labels}":
        "{directory} : N images H x W et N étiquettes attendues, formes reçues : {images} et "
        "{labels}",
    "{directory}: {images} images but {labels} labels in the {split} split":
        "{directory} : {images} images mais {labels} étiquettes dans la partie {split}",
    "{directory}: the {split} split holds no images":
        "{directory} : la partie {split} ne contient aucune image",
    "image folder not found: {root}": "dossier d'images introuvable : {root}",
    "image folder {root} holds no .png or .jpg files":
        "le dossier d'images {root} ne contient aucun fichier .png ni .jpg",
    "image folder {root}: none of its {count} image files could be read ({why})":
        "dossier d'images {root} : aucun de ses {count} fichiers d'image n'a pu être lu ({why})",
    "image folder {root}: none of its {count} image files could be read":
        "dossier d'images {root} : aucun de ses {count} fichiers d'image n'a pu être lu",
    "gankit: skipped {count} unreadable image file(s) in {root}":
        "gankit : {count} fichier(s) d'image illisible(s) ignoré(s) dans {root}",
    "gankit: skipped {images} in {root}": "gankit : {images} ignorée(s) dans {root}",
    "{count} image(s) larger than Pillow's limit of {limit:,} pixels":
        "{count} image(s) dépassant la limite de Pillow de {limit:,} pixels",
    "{directory} has no {stem}.gz or {stem}": "{directory} ne contient ni {stem}.gz ni {stem}",
    "{path}: sha256 mismatch (got {digest}, expected {expected})":
        "{path} : sha256 inattendu (obtenu {digest}, attendu {expected})",
    "data dir not found: {directory}": "dossier de données introuvable : {directory}",
    "Fashion-MNIST not found: install Debian's dataset-fashion-mnist, or pass --data-dir DIR "
    "(an empty DIR is filled from the official mirror)":
        "Fashion-MNIST introuvable : installez le paquet Debian dataset-fashion-mnist, ou "
        "passez --data-dir DIR (un DIR vide est rempli depuis le miroir officiel)",
    "cannot download {url}: {error}": "impossible de télécharger {url} : {error}",

    # checkpoint.py
    "this run was trained by {saved} process(es); resume it with the same number, not {now}":
        "cet entraînement a été mené par {saved} processus ; reprenez-le avec le même nombre, "
        "et non {now}",
    "checkpoint does not match its configuration ({error})":
        "le point de reprise ne correspond pas à sa configuration ({error})",
    "no such run dir: {root}": "dossier de l'entraînement introuvable : {root}",
    "cannot change run_dir when resuming: the run continues in {root}":
        "impossible de changer run_dir à la reprise : l'entraînement continue dans {root}",
    "this run was saved on {device!r} and this machine has no CUDA: resume it here with "
    "--device cpu":
        "cet entraînement a été sauvegardé sur {device!r} et cette machine n'a pas CUDA : "
        "reprenez-le ici avec --device cpu",
    "checkpoint not found: {path}": "point de reprise introuvable : {path}",
    "{path} is not a loadable gankit checkpoint (it holds more than tensors and plain "
    "values, is corrupt, or is not a PyTorch file)":
        "{path} n'est pas un point de reprise gankit chargeable (il contient plus que des "
        "tenseurs et des valeurs simples, est corrompu, ou n'est pas un fichier PyTorch)",
    "{path} is not a loadable gankit checkpoint: corrupt or not a PyTorch file ({error})":
        "{path} n'est pas un point de reprise gankit chargeable : il est corrompu, ou n'est "
        "pas un fichier PyTorch ({error})",
    "{path} is not a gankit checkpoint (it holds no dict)":
        "{path} n'est pas un point de reprise gankit (il ne contient pas de dictionnaire)",
    "{path} was written by a newer gankit (checkpoint format {version}); upgrade gankit to "
    "read it":
        "{path} a été écrit par une version plus récente de gankit (format de point de "
        "reprise {version}) ; mettez gankit à jour pour le lire",
    "{path} is not a gankit checkpoint (missing generator/config keys)":
        "{path} n'est pas un point de reprise gankit (clés generator/config absentes)",
    "{path} is corrupt: its checksum does not match its contents":
        "{path} est corrompu : sa somme de contrôle ne correspond pas à son contenu",
    "{path} has no gankit configuration in its metadata":
        "{path} n'a pas de configuration gankit dans ses métadonnées",
    "{path} is corrupt: its configuration is not JSON":
        "{path} est corrompu : sa configuration n'est pas du JSON",
    "{path} is not a readable safetensors file: corrupt, or not one ({error})":
        "{path} n'est pas un fichier safetensors lisible : il est corrompu, ou n'en est pas "
        "un ({error})",

    # guards.py, lock.py
    "training diverged at step {step}: discriminator loss {d_loss}, generator loss {g_loss}":
        "l'entraînement a divergé à l'itération {step} : perte du discriminateur {d_loss}, "
        "perte du générateur {g_loss}",
    "{root} is in use by an earlier gankit Run in this same process that has not ended (a "
    "notebook cell's Run never entered, or still referenced): finish its `with` block, or "
    "delete it, first":
        "{root} est utilisé par un Run gankit antérieur de ce même processus, qui n'est pas "
        "terminé (le Run d'une cellule du notebook, jamais entré ou encore référencé) : "
        "terminez d'abord son bloc `with`, ou supprimez-le",
    "process {pid}": "le processus {pid}",
    "another process": "un autre processus",
    "{root} is in use by {who}, which is training it; wait for it to end (or stop it: it "
    "saves on Ctrl-C or kill) before resuming or overwriting it":
        "{root} est utilisé par {who}, qui l'entraîne ; attendez qu'il se termine (ou "
        "arrêtez-le : il sauvegarde sur Ctrl-C ou kill) avant de le reprendre ou de l'écraser",

    # toys.py, sample.py
    "{dataset}: give a .npy, .npz or .csv file": "{dataset} : donnez un fichier .npy, .npz ou .csv",
    "unknown toy {dataset!r}; choose from {names}":
        "jeu de données jouet inconnu {dataset!r} ; choisissez parmi {names}",
    "{path} holds no array named 'points'":
        "{path} ne contient pas de tableau nommé 'points'",
    "cannot read points from {path}: {error}":
        "impossible de lire des points dans {path} : {error}",
    "{path}: {name} must be finite numbers, N x 2; got shape {shape}":
        "{path} : {name} doit être un tableau N x 2 de nombres finis ; forme reçue : {shape}",
    "{path} holds no points": "{path} ne contient aucun point",
    "{path}: modes need sigma, their spread, a positive number":
        "{path} : les modes demandent sigma, leur dispersion, un nombre positif",
    "--resume takes no --scenario: the run keeps its own settings":
        "--resume ne prend pas de --scenario : l'entraînement garde ses propres réglages",
    "unknown scenario {name!r}; choose from {names}":
        "scénario {name!r} inconnu ; choisissez parmi {names}",
    "no discriminator found at {source}: give a run dir with checkpoints/last.pt, or a .pt "
    "checkpoint":
        "aucun discriminateur trouvé à {source} : donnez un dossier d'entraînement avec "
        "checkpoints/last.pt, ou un point de reprise .pt",
    "no generator found at {source} (expected a run dir, a .pt checkpoint or a .safetensors "
    "file)":
        "aucun générateur trouvé à {source} (attendu : un dossier d'entraînement, un point de "
        "reprise .pt ou un fichier .safetensors)",
    "{path} holds one set of weights; --raw needs a checkpoint":
        "{path} ne contient qu'un jeu de poids ; --raw demande un point de reprise",
    "{path}: weights do not match its configuration ({error})":
        "{path} : les poids ne correspondent pas à sa configuration ({error})",
    "--label needs a conditional generator (trained with --conditional)":
        "--label demande un générateur conditionnel (entraîné avec --conditional)",
    "labels must be in 0..{last}": "les étiquettes doivent être dans 0..{last}",
    "no array named 'images'": "pas de tableau nommé 'images'",
    "not an .npz archive": "ce n'est pas une archive .npz",
    "cannot read samples from {path}: {reason}":
        "impossible de lire des échantillons dans {path} : {reason}",

    # steps.py, models.py, losses.py, device.py, distributed.py
    "a conditional GAN's D step needs the real images' labels, and an unconditional one "
    "takes none: discriminator_step(..., real, labels)":
        "la mise à jour de D d'un GAN conditionnel demande les étiquettes des vraies images, "
        "et celle d'un GAN non conditionnel n'en prend pas : discriminator_step(..., real, "
        "labels)",
    "this discriminator has a class head: pass aux_classifier=config.aux_classifier to "
    "discriminator_step and generator_step":
        "ce discriminateur a une tête de classification : passez "
        "aux_classifier=config.aux_classifier à discriminator_step et à generator_step",
    "this discriminator has no class head: build it from a config with aux_classifier > 0":
        "ce discriminateur n'a pas de tête de classification : construisez-le à partir d'une "
        "configuration où aux_classifier > 0",
    "unknown optimizer {name!r}; choose from {names}":
        "optimiseur inconnu {name!r} ; choisissez parmi {names}",
    "network must be 'g' or 'd', got {network!r}":
        "network doit valoir 'g' ou 'd', et non {network!r}",
    "this config sets g_lr or d_lr: name the network, make_optimizer(generator, config, 'g') "
    "and make_optimizer(discriminator, config, 'd')":
        "cette configuration fixe g_lr ou d_lr : nommez le réseau, make_optimizer(generator, "
        "config, 'g') et make_optimizer(discriminator, config, 'd')",
    "unknown lr_schedule {name!r}; choose from {names}":
        "lr_schedule inconnu {name!r} ; choisissez parmi {names}",
    "dcgan cannot build image size {size}: use 28, 32, 64 or another size that halves down "
    "to 7 or less":
        "dcgan ne sait pas construire des images de côté {size} : utilisez 28, 32, 64 ou une "
        "autre taille qui, divisée par deux autant de fois que possible, descend à 7 ou moins",
    "a conditional model needs num_classes, which comes from the data: "
    "dataclasses.replace(config, num_classes=data.num_classes)":
        "un modèle conditionnel demande num_classes, qui vient des données : "
        "dataclasses.replace(config, num_classes=data.num_classes)",
    "unknown architecture {arch!r}; choose from {names}":
        "architecture inconnue {arch!r} ; choisissez parmi {names}",
    "{dataset} is 2-D points, which only --arch toy trains on: gankit lab --toy {dataset}":
        "{dataset} est un jeu de points 2D, que seul --arch toy sait entraîner : gankit lab "
        "--toy {dataset}",
    "--arch toy is for the lab's 2-D points; use mlp or dcgan for images":
        "--arch toy est réservé aux points 2D du labo ; utilisez mlp ou dcgan pour des images",
    "--spectral-norm and --minibatch-std are for --arch dcgan":
        "--spectral-norm et --minibatch-std sont réservés à --arch dcgan",
    "unknown loss {name!r}; choose from {names}":
        "perte inconnue {name!r} ; choisissez parmi {names}",
    "unknown device {name!r}; use auto, cpu, cuda or cuda:N":
        "périphérique inconnu {name!r} ; utilisez auto, cpu, cuda ou cuda:N",
    "device {name!r} requested but CUDA is not available":
        "périphérique {name!r} demandé, mais CUDA n'est pas disponible",
    "device {name!r} does not exist ({count} GPUs)":
        "le périphérique {name!r} n'existe pas ({count} GPU)",
    "unsupported device {name!r}; use auto, cpu, cuda or cuda:N":
        "périphérique non pris en charge {name!r} ; utilisez auto, cpu, cuda ou cuda:N",
    "under torchrun use --device cuda (each rank takes its own GPU)":
        "sous torchrun, utilisez --device cuda (chaque processus prend son propre GPU)",
    "--clusters {k} needs at least {k} training images; {name} has {count}":
        "--clusters {k} demande au moins {k} images d'entraînement ; {name} en a {count}",
    "no feature network for dataset {dataset!r}: metrics need mnist or fashion-mnist":
        "aucun réseau d'extraction de caractéristiques pour le jeu de données {dataset!r} : "
        "les mesures demandent mnist ou fashion-mnist",

    # metrics/__init__.py, report.py
    "unknown metric {name!r}; choose from {known}":
        "mesure inconnue {name!r} ; choisissez parmi {known}",
    "{name} needs at least {least} samples, got {count}":
        "{name} demande au moins {least} échantillons ; il y en a {count}",
    "samples must be uint8 28x28 grayscale images, got {dtype} {shape}":
        "les échantillons doivent être des images uint8 28x28 en niveaux de gris, et non "
        "{dtype} {shape}",
    "{samples} samples but {labels} labels": "{samples} échantillons mais {labels} étiquettes",
    "label_accuracy needs the classes the samples were drawn for: a conditional generator, "
    "or an .npz with 'labels'":
        "label_accuracy demande les classes pour lesquelles les échantillons ont été tirés : "
        "un générateur conditionnel, ou un .npz avec 'labels'",
    "{root} is not a gankit run dir (no config.toml)":
        "{root} n'est pas un dossier d'entraînement gankit (pas de config.toml)",
    "{path} is corrupt: not TOML text ({error})":
        "{path} est corrompu : ce n'est pas du texte TOML ({error})",
    "no such folder: {folder}": "dossier introuvable : {folder}",

    # resolve.py, prepare.py, rundir.py
    "--eval-every computes FID, for images; a lab run measures its toy (modes, high-quality "
    "share, JS) at each frame, --sample-every":
        "--eval-every calcule la FID, pour des images ; un entraînement du labo mesure son jeu "
        "de données jouet (modes, part de bonne qualité, JS) à chaque image, --sample-every",
    "the lab's toys train unconditional GANs: no --clusters or --aux-classifier":
        "les jeux de données jouets du labo entraînent des GAN non conditionnels : ni "
        "--clusters ni --aux-classifier",
    "a lab run needs --latent-dim 2 or more: its frames draw G's map of a plane of noise":
        "un entraînement du labo demande --latent-dim 2 ou plus : ses images dessinent la "
        "carte de G d'un plan de bruit",
    "--clusters {k} trains on the images' clusters: data = gankit.cluster_images(data, "
    "config.clusters, config.seed)":
        "--clusters {k} entraîne sur les groupes d'images : data = gankit.cluster_images(data, "
        "config.clusters, config.seed)",
    "config.num_classes is {config} but the data has {data} classes; build the models from "
    "dataclasses.replace(config, num_classes=data.num_classes)":
        "config.num_classes vaut {config} mais les données ont {data} classes ; construisez "
        "les modèles à partir de dataclasses.replace(config, num_classes=data.num_classes)",
    "run dir {root} already exists and is a gankit run dir, and also holds files gankit did "
    "not write ({shown}); it is never emptied":
        "le dossier de l'entraînement {root} existe déjà, et il contient aussi des fichiers "
        "que gankit n'a pas écrits ({shown}) ; il n'est jamais vidé",
    "run dir {root} already exists and is not a gankit run dir ({shown}); it is never "
    "emptied":
        "le dossier {root} existe déjà et n'est pas un dossier d'entraînement gankit "
        "({shown}) ; il n'est jamais vidé",
    "run dir {root} is a file, not a folder":
        "le dossier de l'entraînement {root} est un fichier, et non un dossier",
    "run dir {root} already holds a run ({what}; use --resume to continue it, --overwrite "
    "to replace it)":
        "le dossier {root} contient déjà un entraînement ({what} ; utilisez --resume pour le "
        "continuer, --overwrite pour le remplacer)",
    "run dir {root} already holds a run with no checkpoints/last.pt ({what}; "
    "--overwrite replaces it)":
        "le dossier {root} contient déjà un entraînement sans "
        "checkpoints/last.pt ({what} ; --overwrite le remplace)",
    "{n} grid(s)": "{n} grille(s)",
    "{problem}; the newest intact checkpoint to fall back on is {name} (step {step}): add "
    "--fallback to read it":
        "{problem} ; le point de reprise intact le plus récent sur lequel se rabattre est "
        "{name} (itération {step}) : ajoutez --fallback pour le lire",
    "gankit: {path} is corrupt: reading {name} (step {step}) instead":
        "gankit : {path} est corrompu ; lecture de {name} (itération {step}) à la place",
    "{n} epoch snapshot(s)": "{n} instantané(s) d'époque",
    "--fallback reads another checkpoint of a run dir: give the run dir, not {source}":
        "--fallback lit un autre point de reprise d'un dossier d'entraînement : donnez ce "
        "dossier, et non {source}",
    "{root} is at step {step}, where its {schedule} learning-rate schedule reached 0: "
    "training on would change nothing; start a new run to train longer":
        "{root} est à l'itération {step}, où son taux d'apprentissage ({schedule}) est arrivé "
        "à 0 : continuer ne changerait rien ; lancez un nouvel entraînement pour entraîner "
        "plus longtemps",
    "gankit: kept {n} file(s) gankit did not write in {root}: {shown}":
        "gankit : {n} fichier(s) non écrit(s) par gankit laissé(s) en place dans {root} : "
        "{shown}",

    # run.py, gan_lab.py, dirac.py, language.py
    "display must be one of {choices}, got {display!r}":
        "display doit valoir l'une des valeurs {choices}, et non {display!r}",
    "display='notebook' needs a Jupyter kernel; use 'terminal'":
        "display='notebook' demande un noyau Jupyter ; utilisez 'terminal'",
    "{root} is already at step {step}, the end of its {total} steps; resume with a larger "
    "--epochs or --max-steps":
        "{root} est déjà à l'itération {step}, la dernière de ses {total} itérations ; "
        "reprenez avec un --epochs ou un --max-steps plus grand",
    "use the run as a context manager: with gankit.Run(...) as run:":
        "utilisez le Run comme gestionnaire de contexte : with gankit.Run(...) as run:",
    "call run.log(d, g) exactly once for each batch":
        "appelez run.log(d, g) exactement une fois par lot",
    "the ranks' weights differ after training; checkpoints hold rank 0's":
        "les poids des processus diffèrent après l'entraînement ; les points de reprise "
        "gardent ceux du rang 0",
    "{root} has no lab measurements in its metrics.jsonl":
        "{root} n'a aucune mesure du labo dans son metrics.jsonl",
    "{run_dir} has no frames in samples/": "{run_dir} n'a aucune image dans samples/",
    "a Lab changes {names} between updates, not {unknown}; other settings take a new Lab":
        "un Lab change {names} entre deux mises à jour, et non {unknown} : les "
        "autres réglages demandent un nouveau Lab",
    "step needs d >= 0 and g >= 0 updates, at least one, and repeat >= 1":
        "step demande d >= 0 et g >= 0 mises à jour, au moins une en tout, et repeat >= 1",
    "dirac_figure needs at least one case, e.g. {{'method': 'alternating'}}":
        "dirac_figure demande au moins un cas, par exemple {{'method': 'alternating'}}",
    "unknown Dirac-GAN case key {key!r}; choose from {keys}":
        "clé de cas Dirac-GAN inconnue {key!r} ; choisissez parmi {keys}",
    "unknown Dirac-GAN method {method!r}; choose from {methods}":
        "méthode Dirac-GAN inconnue {method!r} ; choisissez parmi {methods}",
    "steps must be a whole number >= 1, got {steps!r}":
        "steps doit être un nombre entier >= 1, et non {steps!r}",
    "{name} must be a finite number >= 0, got {value!r}":
        "{name} doit être un nombre fini >= 0, et non {value!r}",
    "start must be two finite numbers (theta, psi), got {start!r}":
        "start doit être un couple de nombres finis (theta, psi), et non {start!r}",
    "language must be one of {choices}, got {language!r}":
        "language doit valoir l'une des valeurs {choices}, et non {language!r}",

    # exercises.py
    "unknown exercise {name!r}; the exercises are {names}":
        "exercice inconnu {name!r} ; les exercices sont {names}",

    # issue #32: paths, points files, seeds and sizes (cli.py, config.py, toys.py, sample.py)
    "dataset {dataset!r} names no path: give {form}":
        "dataset {dataset!r} ne nomme aucun chemin : donnez {form}",
    "{path} is empty (0 bytes), so it holds no points: give a file of N x 2 numbers":
        "{path} est vide (0 octet) et ne contient donc aucun point : donnez un fichier de "
        "N x 2 nombres",
    "{path}: {name} has dtype {dtype}; gankit reads real numbers only (integers or floats)":
        "{path} : {name} est de type {dtype} ; gankit ne lit que des nombres réels (entiers "
        "ou flottants)",
    "{path}: {name} must be finite, found {value}":
        "{path} : {name} ne doit contenir que des nombres finis, et contient {value}",
    "{path}: {name} must lie within ±{limit:,.0f}, found {value:g}: gankit trains on the "
    "points as they are, so scale them to a few units":
        "{path} : {name} doit rester entre -{limit:,.0f} et +{limit:,.0f}, et contient "
        "{value:g} : gankit s'entraîne sur les points tels quels, ramenez-les donc à quelques "
        "unités",
    "{path}: sigma must be one number; got shape {shape}":
        "{path} : sigma doit être un seul nombre ; forme reçue : {shape}",
    "{name} is empty: give a path": "{name} est vide : donnez un chemin",
    "{name} {value!r} holds a NUL byte, which no path can hold: remove it from the path":
        "{name} {value!r} contient un octet NUL, qu'aucun chemin ne peut contenir : "
        "retirez-le du chemin",
    "{frames:,} frames of {n:,} images each would need about {need} of memory, more than the "
    "{have} available: ask for fewer with --n or --interpolate":
        "un GIF de {frames:,} images, chacune une grille de {n:,} échantillons, demanderait "
        "environ {need} de mémoire, plus que les {have} disponibles : demandez-en moins avec "
        "--n ou --interpolate",
    "a scatter of {n:,} points would need about {need} of memory, more than the {have} "
    "available: draw fewer, or write them to an .npz, which sample writes a batch at a time":
        "un nuage de {n:,} points demanderait environ {need} de mémoire, plus que les {have} "
        "disponibles : tirez-en moins, ou écrivez-les dans un .npz, que sample écrit lot par "
        "lot",
    "a grid of {n:,} images would need about {need} of memory, more than the {have} "
    "available: draw fewer, or write them to an .npz or a folder, which sample writes a "
    "batch at a time":
        "une grille de {n:,} images demanderait environ {need} de mémoire, plus que les {have} "
        "disponibles : tirez-en moins, ou écrivez-les dans un .npz ou un dossier, que sample "
        "écrit lot par lot",
    "{out} would hold {n:,} files, more than the {have:,} that its file system can still "
    "hold: draw fewer, or write them to an .npz":
        "{out} contiendrait {n:,} fichiers, plus que les {have:,} que son système de fichiers "
        "peut encore accueillir : tirez-en moins, ou écrivez-les dans un .npz",
    "{out} would take up to {need} on disk, more than the {have} free there: draw fewer, or "
    "free some space":
        "{out} occuperait jusqu'à {need} sur le disque, plus que les {have} qui y sont libres : "
        "tirez-en moins, ou libérez de la place",
    "--n {n:,} samples would need at least {need} of memory, more than the {have} available: "
    "evaluate fewer":
        "--n {n:,} échantillons demanderaient au moins {need} de mémoire, plus que les {have} "
        "disponibles : évaluez-en moins",
    "{size:,.1f} TB": "{size:,.1f}\u00a0To",
    "{size:,.1f} GB": "{size:,.1f}\u00a0Go",
    "{size:,.1f} MB": "{size:,.1f}\u00a0Mo",
    "{size:,.1f} kB": "{size:,.1f}\u00a0ko",
    "{size:,} bytes": "{size:,}\u00a0octets",
    "{name} {path} is a symbolic link to {target}, which does not exist: remove the link or "
    "create {target}":
        "{name} {path} est un lien symbolique vers {target}, qui n'existe pas : supprimez le "
        "lien ou créez {target}",
}

# argparse's own messages (Python 3.11's), as gankit.cli.argparse_message matches them:
# first match wins, so the particular come before the general.
ARGPARSE = {
    "argument {argument}: {message}": "argument {argument} : {message}",
    "unrecognized arguments: {arguments}": "arguments non reconnus : {arguments}",
    "the following arguments are required: {arguments}":
        "arguments obligatoires manquants : {arguments}",
    "one of the arguments {arguments} is required":
        "l'un des arguments {arguments} est obligatoire",
    "not allowed with argument {other}": "incompatible avec l'argument {other}",
    "ignored explicit argument {value}": "valeur ignorée : {value}",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "au plus une valeur est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "expected {count} arguments": "{count} valeurs sont attendues",
    "expected {count} argument": "{count} valeur est attendue",
    "ambiguous option: {option} could match {matches}":
        "option ambiguë : {option} peut désigner {matches}",
    "invalid int value: {value}": "{value} n'est pas un nombre entier",
    "invalid float value: {value}": "{value} n'est pas un nombre",
    "invalid {kind} value: {value}": "valeur {kind} invalide : {value}",
    "invalid choice: {value} (choose from {choices})":
        "choix invalide : {value} (choisissez parmi {choices})",
}

FRENCH = {english: typeset(french) for english, french in FRENCH.items()}
ARGPARSE = {english: typeset(french) for english, french in ARGPARSE.items()}
