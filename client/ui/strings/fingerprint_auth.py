"""The kiosk's words for officers' and supervisors' own fingerprints (issues 14 and 20): enrolling a
finger on the kiosk's reader, and signing in, unlocking, confirming or approving with it.

One table per language, merged into that language's ``STRINGS`` by its module (``eng.py``, ``fra.py``,
``ara.py``); English is the reference.
"""

ENG: dict[str, str] = {
    "driver.fprint": "Fingerprint readers (libfprint)",
    "fp.use": "Use fingerprint",
    "fp.stop": "Stop",
    "fp.place": "Place your enrolled finger on the reader now.",
    "fp.timeout": "No finger was placed on the reader in time. Press Use fingerprint to try again, or use the password.",
    "fp.unplugged": "The fingerprint reader was unplugged. Plug it in again, or use the password.",
    "fp.failed": "The fingerprint reader could not check the finger. Try again, or use the password.",
    "fp.stopped": "Stopped. Use the password, or press Use fingerprint again.",
    "fp.retry": "{problem} Press Use fingerprint and place it again.",
    "action.fingerprint": "My fingerprints",
    "fp.enrol.title": "My fingerprints",
    "fp.enrol.intro": "Enrol a finger on this kiosk's reader to sign in, unlock, confirm a sign-off or "
    "approve with it. Your password keeps working.",
    "fp.enrol.ready": "Reader: {reader}, ready.",
    "fp.enrol.checking": "Looking for the fingerprint reader…",
    "fp.why.not_configured": "Fingerprint sign-in is off: no fingerprint reader is set up on this kiosk.",
    "fp.why.unavailable": "Fingerprint sign-in is not available on this kiosk: the fingerprint library "
    "(libfprint) is not installed. Call support.",
    "fp.why.no_reader": "No fingerprint reader is plugged in. Plug one in to enrol a finger.",
    "fp.why.cannot_verify": "The fingerprint reader {reader} cannot check fingerprints.",
    "fp.enrol.none": "No finger enrolled on this kiosk yet.",
    "fp.enrol.item": "{finger}: enrolled {when}",
    "fp.enrol.finger": "Finger",
    "fp.enrol.start": "Enrol this finger",
    "fp.enrol.again": "Enrol this finger again",
    "fp.enrol.remove": "Remove this finger",
    "fp.enrol.close": "Close",
    "fp.enrol.password_needed": "Type your password first: enrolling a finger needs it.",
    "fp.enrol.begin": "Place your {finger} on the reader, lift it when asked, and place it again until "
    "it says done.",
    "fp.enrol.progress": "Touch {done} of {stages} accepted. Lift the finger and place it again.",
    "fp.enrol.retry": "{problem} Touches accepted so far: {done} of {stages}. Place the finger again.",
    "fp.enrol.done": "{finger} enrolled. You can now use it instead of your password.",
    "fp.enrol.removed": "{finger} removed from this kiosk.",
    "fp.enrol.stopped": "Stopped: nothing was enrolled.",
    "fp.enrol.timeout": "No finger was placed on the reader in time; nothing was enrolled. Start again.",
    "fp.enrol.unplugged": "The fingerprint reader was unplugged; nothing was enrolled. Plug it in and start again.",
    "fp.enrol.failed": "The enrolment failed; nothing was kept. Start again.",
    "auth.no_match": "The fingerprint does not match.",
    "auth.not_recognised": "No enrolled fingerprint matches this finger. Type your ID, or use your "
    "password. Tries left: {tries}.",
    "auth.identify_locked_until": "Signing in by finger without an ID is locked after repeated failures "
    "until {until}. Type your ID, or use your password.",
    "auth.identify_locked_now": "Too many unknown fingers: signing in by finger without an ID is locked for "
    "{minutes} min, until {until}.",
    "auth.no_print": "User {user} has no fingerprint enrolled on this kiosk. Use the password.",
    "auth.other_reader": "User {user}'s fingerprint was enrolled on another kind of reader. Use the "
    "password, then enrol the finger again.",
    "auth.needs_user_id": "This reader cannot find a finger without an ID: type the ID first.",
    "auth.none_enrolled": "Nobody has enrolled a fingerprint on this kiosk yet. Use the password.",
    "auth.fp_not_configured": "No fingerprint reader is set up on this kiosk. Use the password.",
    "auth.fp_unavailable": "Fingerprints cannot be used on this kiosk. Use the password.",
    "auth.fp_no_reader": "No fingerprint reader is plugged in. Use the password.",
    "auth.fp_cannot_verify": "This fingerprint reader cannot check fingerprints. Use the password.",
    "device_error.cannot_verify": "This fingerprint reader cannot check this fingerprint. Use the password.",
}

FRA: dict[str, str] = {
    "driver.fprint": "Lecteurs d'empreintes (libfprint)",
    "fp.use": "Utiliser l'empreinte",
    "fp.stop": "Arrêter",
    "fp.place": "Posez maintenant votre doigt enregistré sur le lecteur.",
    "fp.timeout": "Aucun doigt n'a été posé sur le lecteur à temps. Appuyez sur Utiliser l'empreinte pour "
    "réessayer, ou utilisez le mot de passe.",
    "fp.unplugged": "Le lecteur d'empreintes a été débranché. Rebranchez-le, ou utilisez le mot de passe.",
    "fp.failed": "Le lecteur d'empreintes n'a pas pu vérifier le doigt. Réessayez, ou utilisez le mot de "
    "passe.",
    "fp.stopped": "Arrêté. Utilisez le mot de passe, ou appuyez de nouveau sur Utiliser l'empreinte.",
    "fp.retry": "{problem} Appuyez sur Utiliser l'empreinte et reposez le doigt.",
    "action.fingerprint": "Mes empreintes",
    "fp.enrol.title": "Mes empreintes",
    "fp.enrol.intro": "Enregistrez un doigt sur le lecteur de ce poste pour vous connecter, déverrouiller, "
    "confirmer une validation ou approuver avec lui. Votre mot de passe reste valable.",
    "fp.enrol.ready": "Lecteur : {reader}, prêt.",
    "fp.enrol.checking": "Recherche du lecteur d'empreintes…",
    "fp.why.not_configured": "La connexion par empreinte est désactivée : aucun lecteur d'empreintes "
    "n'est configuré sur ce poste.",
    "fp.why.unavailable": "La connexion par empreinte n'est pas disponible sur ce poste : la bibliothèque "
    "d'empreintes (libfprint) n'est pas installée. Appelez le support.",
    "fp.why.no_reader": "Aucun lecteur d'empreintes n'est branché. Branchez-en un pour enregistrer un doigt.",
    "fp.why.cannot_verify": "Le lecteur d'empreintes {reader} ne sait pas vérifier les empreintes.",
    "fp.enrol.none": "Aucun doigt enregistré sur ce poste pour l'instant.",
    "fp.enrol.item": "{finger} : enregistré le {when}",
    "fp.enrol.finger": "Doigt",
    "fp.enrol.start": "Enregistrer ce doigt",
    "fp.enrol.again": "Réenregistrer ce doigt",
    "fp.enrol.remove": "Supprimer ce doigt",
    "fp.enrol.close": "Fermer",
    "fp.enrol.password_needed": "Saisissez d'abord votre mot de passe : il est demandé pour enregistrer "
    "un doigt.",
    "fp.enrol.begin": "Posez votre {finger} sur le lecteur, soulevez-le quand c'est demandé, et reposez-le "
    "jusqu'à ce qu'il soit indiqué terminé.",
    "fp.enrol.progress": "Appui {done} sur {stages} accepté. Soulevez le doigt et reposez-le.",
    "fp.enrol.retry": "{problem} Appuis acceptés jusqu'ici : {done} sur {stages}. Reposez le doigt.",
    "fp.enrol.done": "{finger} enregistré. Vous pouvez maintenant l'utiliser à la place du mot de passe.",
    "fp.enrol.removed": "{finger} supprimé de ce poste.",
    "fp.enrol.stopped": "Arrêté : rien n'a été enregistré.",
    "fp.enrol.timeout": "Aucun doigt n'a été posé sur le lecteur à temps ; rien n'a été enregistré. "
    "Recommencez.",
    "fp.enrol.unplugged": "Le lecteur d'empreintes a été débranché ; rien n'a été enregistré. Rebranchez-le "
    "et recommencez.",
    "fp.enrol.failed": "L'enregistrement a échoué ; rien n'a été gardé. Recommencez.",
    "auth.no_match": "L'empreinte ne correspond pas.",
    "auth.not_recognised": "Aucune empreinte enregistrée ne correspond à ce doigt. Saisissez votre "
    "identifiant, ou utilisez votre mot de passe. Essais restants : {tries}.",
    "auth.identify_locked_until": "La connexion par empreinte sans identifiant est bloquée après des échecs "
    "répétés jusqu'à {until}. Saisissez votre identifiant, ou utilisez votre mot de passe.",
    "auth.identify_locked_now": "Trop de doigts inconnus : la connexion par empreinte sans identifiant est "
    "bloquée pour {minutes} min, jusqu'à {until}.",
    "auth.no_print": "L'utilisateur {user} n'a pas d'empreinte enregistrée sur ce poste. Utilisez le mot "
    "de passe.",
    "auth.other_reader": "L'empreinte de l'utilisateur {user} a été enregistrée sur un autre type de "
    "lecteur. Utilisez le mot de passe, puis réenregistrez le doigt.",
    "auth.needs_user_id": "Ce lecteur ne sait pas trouver un doigt sans identifiant : saisissez d'abord "
    "l'identifiant.",
    "auth.none_enrolled": "Personne n'a encore enregistré d'empreinte sur ce poste. Utilisez le mot de passe.",
    "auth.fp_not_configured": "Aucun lecteur d'empreintes n'est configuré sur ce poste. Utilisez le mot de "
    "passe.",
    "auth.fp_unavailable": "Les empreintes ne peuvent pas être utilisées sur ce poste. Utilisez le mot de "
    "passe.",
    "auth.fp_no_reader": "Aucun lecteur d'empreintes n'est branché. Utilisez le mot de passe.",
    "auth.fp_cannot_verify": "Ce lecteur d'empreintes ne sait pas vérifier les empreintes. Utilisez le mot "
    "de passe.",
    "device_error.cannot_verify": "Ce lecteur d'empreintes ne peut pas vérifier cette empreinte. Utilisez "
    "le mot de passe.",
}

ARA: dict[str, str] = {
    "driver.fprint": "قارئات البصمات (libfprint)",
    "fp.use": "استخدام البصمة",
    "fp.stop": "إيقاف",
    "fp.place": "ضع إصبعك المسجّل على القارئ الآن.",
    "fp.timeout": "لم يوضع أي إصبع على القارئ في الوقت المحدد. اضغط على استخدام البصمة للمحاولة من جديد، "
    "أو استخدم كلمة المرور.",
    "fp.unplugged": "فُصل قارئ البصمات. أعد توصيله، أو استخدم كلمة المرور.",
    "fp.failed": "لم يتمكن قارئ البصمات من التحقق من الإصبع. حاول مرة أخرى، أو استخدم كلمة المرور.",
    "fp.stopped": "توقّف. استخدم كلمة المرور، أو اضغط على استخدام البصمة من جديد.",
    "fp.retry": "{problem} اضغط على استخدام البصمة وضع الإصبع مرة أخرى.",
    "action.fingerprint": "بصماتي",
    "fp.enrol.title": "بصماتي",
    "fp.enrol.intro": "سجّل إصبعًا على قارئ هذا الجهاز لتسجيل الدخول وفتح القفل وتأكيد التوقيع والموافقة "
    "به. تبقى كلمة المرور صالحة.",
    "fp.enrol.ready": "القارئ: {reader}، جاهز.",
    "fp.enrol.checking": "جارٍ البحث عن قارئ البصمات…",
    "fp.why.not_configured": "تسجيل الدخول بالبصمة متوقف: لم يُعدّ أي قارئ بصمات على هذا الجهاز.",
    "fp.why.unavailable": "تسجيل الدخول بالبصمة غير متاح على هذا الجهاز: مكتبة البصمات (libfprint) غير "
    "مثبّتة. اتصل بالدعم.",
    "fp.why.no_reader": "لا يوجد قارئ بصمات موصول. صِل قارئًا لتسجيل إصبع.",
    "fp.why.cannot_verify": "قارئ البصمات {reader} لا يستطيع التحقق من البصمات.",
    "fp.enrol.none": "لم يُسجَّل أي إصبع على هذا الجهاز بعد.",
    "fp.enrol.item": "{finger}: سُجّل في {when}",
    "fp.enrol.finger": "الإصبع",
    "fp.enrol.start": "تسجيل هذا الإصبع",
    "fp.enrol.again": "إعادة تسجيل هذا الإصبع",
    "fp.enrol.remove": "حذف هذا الإصبع",
    "fp.enrol.close": "إغلاق",
    "fp.enrol.password_needed": "اكتب كلمة المرور أولًا: تسجيل الإصبع يتطلبها.",
    "fp.enrol.begin": "ضع {finger} على القارئ، وارفعه عندما يُطلب منك، ثم ضعه مرة أخرى حتى تظهر كلمة تم.",
    "fp.enrol.progress": "قُبلت اللمسة {done} من {stages}. ارفع الإصبع وضعه مرة أخرى.",
    "fp.enrol.retry": "{problem} اللمسات المقبولة حتى الآن: {done} من {stages}. ضع الإصبع مرة أخرى.",
    "fp.enrol.done": "تم تسجيل {finger}. يمكنك الآن استخدامه بدلًا من كلمة المرور.",
    "fp.enrol.removed": "حُذف {finger} من هذا الجهاز.",
    "fp.enrol.stopped": "توقّف: لم يُسجَّل شيء.",
    "fp.enrol.timeout": "لم يوضع أي إصبع على القارئ في الوقت المحدد؛ لم يُسجَّل شيء. ابدأ من جديد.",
    "fp.enrol.unplugged": "فُصل قارئ البصمات؛ لم يُسجَّل شيء. أعد توصيله وابدأ من جديد.",
    "fp.enrol.failed": "فشل التسجيل؛ لم يُحفظ شيء. ابدأ من جديد.",
    "auth.no_match": "البصمة غير مطابقة.",
    "auth.not_recognised": "لا تطابق أي بصمة مسجّلة هذا الإصبع. اكتب معرّفك، أو استخدم كلمة المرور. "
    "المحاولات المتبقية: {tries}.",
    "auth.identify_locked_until": "تسجيل الدخول بالبصمة دون معرّف مقفل بعد إخفاقات متكررة حتى {until}. "
    "اكتب معرّفك، أو استخدم كلمة المرور.",
    "auth.identify_locked_now": "أصابع غير معروفة كثيرة: قُفل تسجيل الدخول بالبصمة دون معرّف لمدة {minutes} "
    "دقيقة، حتى {until}.",
    "auth.no_print": "المستخدم {user} ليست له بصمة مسجّلة على هذا الجهاز. استخدم كلمة المرور.",
    "auth.other_reader": "سُجّلت بصمة المستخدم {user} على نوع آخر من القارئات. استخدم كلمة المرور، ثم "
    "أعد تسجيل الإصبع.",
    "auth.needs_user_id": "هذا القارئ لا يستطيع إيجاد إصبع دون معرّف: اكتب المعرّف أولًا.",
    "auth.none_enrolled": "لم يسجّل أحد بصمة على هذا الجهاز بعد. استخدم كلمة المرور.",
    "auth.fp_not_configured": "لم يُعدّ أي قارئ بصمات على هذا الجهاز. استخدم كلمة المرور.",
    "auth.fp_unavailable": "لا يمكن استخدام البصمات على هذا الجهاز. استخدم كلمة المرور.",
    "auth.fp_no_reader": "لا يوجد قارئ بصمات موصول. استخدم كلمة المرور.",
    "auth.fp_cannot_verify": "قارئ البصمات هذا لا يستطيع التحقق من البصمات. استخدم كلمة المرور.",
    "device_error.cannot_verify": "قارئ البصمات هذا لا يستطيع التحقق من هذه البصمة. استخدم كلمة المرور.",
}
