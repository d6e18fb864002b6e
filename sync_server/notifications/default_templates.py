"""Built-in message texts in English, French and Arabic, so a deployment notifies before anyone writes
``notify.*`` templates in master data. Placeholders are ``string.Template`` names: ``$rid``, ``$uin``,
``$reason`` (and ``$name``, which these texts leave out: a message may be read by someone else).
"""

from __future__ import annotations

from sync_server.notifications.events import Event

# event -> language -> (e-mail subject, e-mail body, SMS text)
DEFAULT_TEXTS: dict[Event, dict[str, tuple[str, str, str]]] = {
    Event.REGISTRATION_RECEIVED: {
        "eng": (
            "Your registration $rid was received",
            "Hello,\n\nWe have received your registration. Your registration number (RID) is $rid. "
            "Keep it: you need it to check the status of your registration.",
            "Registration $rid received. Keep this number to check its status.",
        ),
        "fra": (
            "Votre inscription $rid a été reçue",
            "Bonjour,\n\nNous avons bien reçu votre inscription. Votre numéro d'inscription (RID) est $rid. "
            "Conservez-le : il vous permet de suivre l'état de votre inscription.",
            "Inscription $rid reçue. Conservez ce numéro pour en suivre l'état.",
        ),
        "ara": (
            "تم استلام تسجيلك $rid",
            "مرحبًا،\n\nلقد استلمنا تسجيلك. رقم تسجيلك (RID) هو $rid. احتفظ به، فستحتاج إليه لمتابعة حالة تسجيلك.",
            "تم استلام التسجيل $rid. احتفظ بهذا الرقم لمتابعة حالته.",
        ),
    },
    Event.UIN_ISSUED: {
        "eng": (
            "Your identity number (UIN) has been issued",
            "Hello,\n\nYour registration $rid has been processed. Your unique identity number (UIN) is $uin.\n\n"
            "Keep this number safe and share it only when you need to prove your identity.",
            "Registration $rid processed. Your UIN is $uin. Keep it safe.",
        ),
        "fra": (
            "Votre numéro d'identité (UIN) a été attribué",
            "Bonjour,\n\nVotre inscription $rid a été traitée. Votre numéro unique d'identité (UIN) est $uin.\n\n"
            "Conservez ce numéro en lieu sûr et ne le communiquez que pour prouver votre identité.",
            "Inscription $rid traitée. Votre UIN est $uin. Conservez-le.",
        ),
        "ara": (
            "تم إصدار رقم هويتك (UIN)",
            "مرحبًا،\n\nتمت معالجة تسجيلك $rid. رقم هويتك الفريد (UIN) هو $uin.\n\n"
            "احتفظ بهذا الرقم في مكان آمن ولا تشاركه إلا عند الحاجة لإثبات هويتك.",
            "تمت معالجة التسجيل $rid. رقم هويتك (UIN) هو $uin. احتفظ به.",
        ),
    },
    Event.UPDATE_APPLIED: {
        "eng": (
            "Your identity record has been updated",
            "Hello,\n\nThe update requested with registration $rid has been applied to your identity record "
            "(UIN $uin).\n\nIf you did not ask for this change, contact a registration center at once.",
            "Update $rid applied to your identity (UIN $uin). Not you? Contact a registration center.",
        ),
        "fra": (
            "Votre dossier d'identité a été mis à jour",
            "Bonjour,\n\nLa mise à jour demandée par l'inscription $rid a été appliquée à votre dossier "
            "d'identité (UIN $uin).\n\nSi vous n'avez pas demandé ce changement, contactez sans tarder un "
            "centre d'inscription.",
            "Mise à jour $rid appliquée à votre identité (UIN $uin). Pas vous ? Contactez un centre d'inscription.",
        ),
        "ara": (
            "تم تحديث سجل هويتك",
            "مرحبًا،\n\nتم تطبيق التحديث المطلوب في التسجيل $rid على سجل هويتك (UIN $uin).\n\n"
            "إذا لم تطلب هذا التغيير، فاتصل بأحد مراكز التسجيل فورًا.",
            "تم تطبيق التحديث $rid على هويتك (UIN $uin). لم تطلبه؟ اتصل بمركز تسجيل.",
        ),
    },
    Event.MORE_INFORMATION_NEEDED: {
        "eng": (
            "More information is needed for your registration $rid",
            "Hello,\n\nWe need more information to finish processing your registration $rid:\n\n$reason\n\n"
            "Please come back to a registration center with your registration number.",
            "Registration $rid: more information is needed. $reason. Please visit a registration center.",
        ),
        "fra": (
            "Des informations complémentaires sont nécessaires pour votre inscription $rid",
            "Bonjour,\n\nNous avons besoin d'informations complémentaires pour terminer le traitement de "
            "votre inscription $rid :\n\n$reason\n\nMerci de revenir dans un centre d'inscription avec "
            "votre numéro d'inscription.",
            "Inscription $rid : informations complémentaires nécessaires. $reason. "
            "Présentez-vous dans un centre d'inscription.",
        ),
        "ara": (
            "مطلوب مزيد من المعلومات لتسجيلك $rid",
            "مرحبًا،\n\nنحتاج إلى مزيد من المعلومات لإتمام معالجة تسجيلك $rid:\n\n$reason\n\n"
            "يُرجى مراجعة أحد مراكز التسجيل ومعك رقم تسجيلك.",
            "التسجيل $rid: مطلوب مزيد من المعلومات. $reason. يُرجى مراجعة مركز تسجيل.",
        ),
    },
    Event.LOST_UIN_FOUND: {
        "eng": (
            "We found your identity number (UIN)",
            "Hello,\n\nFollowing your request $rid, we found your identity record. Your unique identity "
            "number (UIN) is $uin.\n\nKeep this number safe.",
            "Request $rid: your UIN is $uin. Keep it safe.",
        ),
        "fra": (
            "Nous avons retrouvé votre numéro d'identité (UIN)",
            "Bonjour,\n\nÀ la suite de votre demande $rid, nous avons retrouvé votre dossier d'identité. "
            "Votre numéro unique d'identité (UIN) est $uin.\n\nConservez ce numéro en lieu sûr.",
            "Demande $rid : votre UIN est $uin. Conservez-le.",
        ),
        "ara": (
            "عثرنا على رقم هويتك (UIN)",
            "مرحبًا،\n\nبناءً على طلبك $rid، عثرنا على سجل هويتك. رقم هويتك الفريد (UIN) هو $uin.\n\n"
            "احتفظ بهذا الرقم في مكان آمن.",
            "الطلب $rid: رقم هويتك (UIN) هو $uin. احتفظ به.",
        ),
    },
    Event.REJECTED: {
        "eng": (
            "Your registration $rid could not be accepted",
            "Hello,\n\nYour registration $rid could not be accepted.\n\nReason: $reason\n\n"
            "You may register again at a registration center. Bring this message with you.",
            "Registration $rid not accepted. Reason: $reason. Please visit a registration center.",
        ),
        "fra": (
            "Votre inscription $rid n'a pas pu être acceptée",
            "Bonjour,\n\nVotre inscription $rid n'a pas pu être acceptée.\n\nMotif : $reason\n\n"
            "Vous pouvez vous réinscrire dans un centre d'inscription. Apportez ce message.",
            "Inscription $rid non acceptée. Motif : $reason. Présentez-vous dans un centre d'inscription.",
        ),
        "ara": (
            "تعذّر قبول تسجيلك $rid",
            "مرحبًا،\n\nتعذّر قبول تسجيلك $rid.\n\nالسبب: $reason\n\n"
            "يمكنك التسجيل من جديد في أحد مراكز التسجيل، واصطحب هذه الرسالة معك.",
            "لم يُقبل التسجيل $rid. السبب: $reason. يُرجى مراجعة مركز تسجيل.",
        ),
    },
}

# Appended to every e-mail body (built-in or from master data).
EMAIL_FOOTER = {
    "eng": "This message was sent automatically; please do not reply.",
    "fra": "Ce message a été envoyé automatiquement ; merci de ne pas y répondre.",
    "ara": "أُرسلت هذه الرسالة آليًا، يُرجى عدم الرد عليها.",
}

# What stands for a value the message needs but the event did not carry.
MISSING_VALUE = {
    "reason": {
        "eng": "ask at a registration center for details",
        "fra": "renseignez-vous dans un centre d'inscription",
        "ara": "استفسر في أحد مراكز التسجيل",
    },
}
