"""The kiosk's words for single-finger readers (libfprint, issue 20): the finger-by-finger prompts on the
biometrics step and the readers' own failures.

One table per language, merged into that language's ``STRINGS`` by its module (``eng.py``, ``fra.py``,
``ara.py``); English is the reference.
"""

ENG: dict[str, str] = {
    "bio.place_finger": "Finger {n} of {total}: {finger}. Place it on the reader now.",
    "bio.place_again": "{problem} Finger {n} of {total}: {finger}. Place it again.",
    "bio.pass_failed": "{problem} Nothing of this capture was kept. Press Capture to start again.",
    "device_error.no_image": "This fingerprint reader only matches prints on its chip and gives no image. "
    "Use a reader that captures images.",
    "device_error.one_finger": "This reader takes one finger at a time.",
    "device_error.finger_retry": "The reader could not read the finger.",
    "device_error.swipe_too_short": "The swipe was too short: swipe slowly over the whole reader.",
    "device_error.finger_not_centred": "The finger was not in the middle of the reader.",
    "device_error.remove_finger": "Lift the finger off the reader first.",
}

FRA: dict[str, str] = {
    "bio.place_finger": "Doigt {n} sur {total} : {finger}. Posez-le sur le lecteur maintenant.",
    "bio.place_again": "{problem} Doigt {n} sur {total} : {finger}. Posez-le à nouveau.",
    "bio.pass_failed": "{problem} Rien de cette capture n'a été gardé. Appuyez sur Capturer pour recommencer.",
    "device_error.no_image": "Ce lecteur d'empreintes compare les empreintes sur sa puce et ne donne pas "
    "d'image. Utilisez un lecteur qui capture des images.",
    "device_error.one_finger": "Ce lecteur prend un doigt à la fois.",
    "device_error.finger_retry": "Le lecteur n'a pas pu lire le doigt.",
    "device_error.swipe_too_short": "Le glissement était trop court : glissez lentement sur tout le lecteur.",
    "device_error.finger_not_centred": "Le doigt n'était pas au milieu du lecteur.",
    "device_error.remove_finger": "Soulevez d'abord le doigt du lecteur.",
}

ARA: dict[str, str] = {
    "bio.place_finger": "الإصبع {n} من {total}: {finger}. ضعه على القارئ الآن.",
    "bio.place_again": "{problem} الإصبع {n} من {total}: {finger}. ضعه مرة أخرى.",
    "bio.pass_failed": "{problem} لم يُحفظ شيء من هذا الالتقاط. اضغط على التقاط للبدء من جديد.",
    "device_error.no_image": "قارئ البصمات هذا يطابق البصمات على شريحته ولا يعطي صورة. "
    "استخدم قارئًا يلتقط الصور.",
    "device_error.one_finger": "هذا القارئ يأخذ إصبعًا واحدًا في كل مرة.",
    "device_error.finger_retry": "لم يتمكن القارئ من قراءة الإصبع.",
    "device_error.swipe_too_short": "كان التمرير قصيرًا جدًا: مرّر الإصبع ببطء على القارئ كله.",
    "device_error.finger_not_centred": "لم يكن الإصبع في وسط القارئ.",
    "device_error.remove_finger": "ارفع الإصبع عن القارئ أولًا.",
}
