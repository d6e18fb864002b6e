"""The kiosk's words for packets and answers by USB stick (issue 21; client/ui/screens/usb_media.py).

One table per language, merged into that language's ``STRINGS`` by its module (``eng.py``, ``fra.py``,
``ara.py``); English is the reference.
"""

ENG: dict[str, str] = {
    "usb.open": "USB stick",
    "usb.title": "USB stick (no network)",
    "usb.intro": "Without network, approved packets go to the office on a USB stick, and the office's "
    "answer comes back on it. The packets stay on this kiosk until the answer is read here.",
    "usb.drive": "Stick",
    "usb.drive_item": "{name} ({free} MB free)",
    "usb.no_drive": "No USB stick found. Plug one in, or choose a folder.",
    "usb.refresh": "Look again",
    "usb.choose": "Choose a folder…",
    "usb.folder": "Folder: {path}",
    "usb.no_folder": "No stick or folder chosen yet.",
    "usb.pending": "{n} approved packet(s) waiting to be delivered",
    "usb.export": "Export to the stick",
    "usb.import": "Read the office's answer",
    "usb.exporting": "Writing packet {done} of {total}… Do not remove the stick.",
    "usb.exported": "{n} packet(s) are on the stick ({kept} were there already). Take the stick to "
    "the office; the packets stay on this kiosk until the answer comes back.",
    "usb.quarantined": "{n} damaged packet(s) were set aside and not exported.",
    "usb.reading": "Reading the answer…",
    "usb.imported": "Office answer ({when}): {delivered} packet(s) arrived at the office, {rows} "
    "master-data change(s) applied.",
    "usb.older": "This answer is older than one read before: the outcomes shown before are kept.",
    "usb.not_received": "not received at the office; it goes again with the next export",
    "usb.supervisor_only": "Only a supervisor can export packets or read the office's answer.",
    "usb.col_rid": "RID",
    "media.problem.not_enrolled": "This kiosk is not enrolled yet.",
    "media.problem.no_folder": "That folder is not there. Is the stick plugged in?",
    "media.problem.full": "The stick is full: it has {free} MB free and the export needs {needed} MB. "
    "Use a larger stick.",
    "media.problem.full_during": "The stick ran full while the packets were written, so the export is "
    "unfinished. Use a larger stick and export again.",
    "media.problem.write_failed": "The stick could not be written or read back, so the export is "
    "unfinished. Check the stick and export again.",
    "media.problem.no_ack": "There is no answer from the office on this stick yet.",
    "media.problem.foreign_ack": "This answer was made for another kiosk. Nothing was changed.",
    "media.problem.bad_ack": "This answer is damaged, was altered, or does not come from your office's "
    "server. Nothing was changed.",
}

FRA: dict[str, str] = {
    "usb.open": "Clé USB",
    "usb.title": "Clé USB (sans réseau)",
    "usb.intro": "Sans réseau, les paquets approuvés partent au bureau sur une clé USB, et la réponse "
    "du bureau revient sur la même clé. Les paquets restent sur ce poste jusqu’à ce que la réponse y "
    "soit lue.",
    "usb.drive": "Clé",
    "usb.drive_item": "{name} ({free} Mo libres)",
    "usb.no_drive": "Aucune clé USB trouvée. Branchez-en une ou choisissez un dossier.",
    "usb.refresh": "Chercher à nouveau",
    "usb.choose": "Choisir un dossier…",
    "usb.folder": "Dossier : {path}",
    "usb.no_folder": "Aucune clé ni aucun dossier choisi.",
    "usb.pending": "{n} paquet(s) approuvé(s) en attente de livraison",
    "usb.export": "Exporter sur la clé",
    "usb.import": "Lire la réponse du bureau",
    "usb.exporting": "Écriture du paquet {done} sur {total}… Ne retirez pas la clé.",
    "usb.exported": "{n} paquet(s) sont sur la clé ({kept} y étaient déjà). Portez la clé au bureau ; "
    "les paquets restent sur ce poste jusqu’au retour de la réponse.",
    "usb.quarantined": "{n} paquet(s) endommagé(s) ont été mis de côté et non exportés.",
    "usb.reading": "Lecture de la réponse…",
    "usb.imported": "Réponse du bureau ({when}) : {delivered} paquet(s) arrivé(s) au bureau, {rows} "
    "modification(s) des données de référence appliquée(s).",
    "usb.older": "Cette réponse est plus ancienne qu’une réponse déjà lue : les résultats déjà "
    "affichés sont conservés.",
    "usb.not_received": "non reçu au bureau ; il repart avec la prochaine exportation",
    "usb.supervisor_only": "Seul un superviseur peut exporter des paquets ou lire la réponse du bureau.",
    "usb.col_rid": "RID",
    "media.problem.not_enrolled": "Ce poste n’est pas encore enregistré.",
    "media.problem.no_folder": "Ce dossier n’existe pas. La clé est-elle branchée ?",
    "media.problem.full": "La clé est pleine : elle a {free} Mo libres et l’exportation en demande "
    "{needed} Mo. Utilisez une clé plus grande.",
    "media.problem.full_during": "La clé s’est remplie pendant l’écriture des paquets : l’exportation "
    "est inachevée. Utilisez une clé plus grande et exportez à nouveau.",
    "media.problem.write_failed": "La clé n’a pas pu être écrite ou relue : l’exportation est "
    "inachevée. Vérifiez la clé et exportez à nouveau.",
    "media.problem.no_ack": "Il n’y a pas encore de réponse du bureau sur cette clé.",
    "media.problem.foreign_ack": "Cette réponse a été faite pour un autre poste. Rien n’a été modifié.",
    "media.problem.bad_ack": "Cette réponse est endommagée, a été modifiée ou ne vient pas du serveur "
    "de votre bureau. Rien n’a été modifié.",
}

ARA: dict[str, str] = {
    "usb.open": "ذاكرة USB",
    "usb.title": "ذاكرة USB (بدون شبكة)",
    "usb.intro": "بدون شبكة، تُنقل الحزم المعتمدة إلى المكتب على ذاكرة USB، ويعود رد المكتب على "
    "الذاكرة نفسها. تبقى الحزم على هذا الجهاز إلى أن يُقرأ الرد هنا.",
    "usb.drive": "الذاكرة",
    "usb.drive_item": "ذاكرة {name} ({free} ميغابايت متاحة)",  # Arabic first: the line reads right to left
    "usb.no_drive": "لم يُعثر على ذاكرة USB. أدخل واحدة أو اختر مجلدًا.",
    "usb.refresh": "ابحث مجددًا",
    "usb.choose": "اختر مجلدًا…",
    "usb.folder": "المجلد: {path}",
    "usb.no_folder": "لم تُختر ذاكرة ولا مجلد بعد.",
    "usb.pending": "حزم معتمدة في انتظار التسليم: {n}",
    "usb.export": "صدّر إلى الذاكرة",
    "usb.import": "اقرأ رد المكتب",
    "usb.exporting": "جارٍ كتابة الحزمة {done} من {total}… لا تنزع الذاكرة.",
    "usb.exported": "الحزم الموجودة على الذاكرة: {n} (كان {kept} منها موجودًا من قبل). خذ الذاكرة "
    "إلى المكتب؛ تبقى الحزم على هذا الجهاز حتى يعود الرد.",
    "usb.quarantined": "حزم تالفة وُضعت جانبًا ولم تُصدَّر: {n}.",
    "usb.reading": "جارٍ قراءة الرد…",
    "usb.imported": "رد المكتب ({when}): وصل إلى المكتب {delivered} من الحزم، وطُبّق {rows} من تغييرات "
    "البيانات المرجعية.",
    "usb.older": "هذا الرد أقدم من رد قُرئ من قبل: تبقى النتائج المعروضة سابقًا كما هي.",
    "usb.not_received": "لم تصل إلى المكتب؛ تُرسل مجددًا مع التصدير القادم",
    "usb.supervisor_only": "المشرف وحده يستطيع تصدير الحزم أو قراءة رد المكتب.",
    "usb.col_rid": "رقم التسجيل",
    "media.problem.not_enrolled": "هذا الجهاز غير مسجَّل بعد.",
    "media.problem.no_folder": "هذا المجلد غير موجود. هل الذاكرة موصولة؟",
    "media.problem.full": "الذاكرة ممتلئة: المتاح فيها {free} ميغابايت والتصدير يحتاج {needed} "
    "ميغابايت. استعمل ذاكرة أكبر.",
    "media.problem.full_during": "امتلأت الذاكرة أثناء كتابة الحزم، فالتصدير غير مكتمل. استعمل ذاكرة "
    "أكبر وصدّر مجددًا.",
    "media.problem.write_failed": "تعذرت الكتابة على الذاكرة أو إعادة قراءتها، فالتصدير غير مكتمل. "
    "افحص الذاكرة وصدّر مجددًا.",
    "media.problem.no_ack": "لا يوجد رد من المكتب على هذه الذاكرة بعد.",
    "media.problem.foreign_ack": "هذا الرد صُنع لجهاز آخر. لم يتغير شيء.",
    "media.problem.bad_ack": "هذا الرد تالف أو معدَّل أو لا يأتي من خادم مكتبك. لم يتغير شيء.",
}
