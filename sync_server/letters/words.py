"""The UIN letter's words in each language it is printed in (ISO 639-3 codes, as in the UI spec)."""

from __future__ import annotations

# The command line printed under the "how to check" text: the same in every language, drawn left to right.
VERIFY_COMMAND = "openreg id verify letter.pdf --key server-key.pub"

LETTER_WORDS: dict[str, dict[str, str]] = {
    "eng": {
        "title": "Your Unique Identification Number",
        "intro": (
            "This letter confirms the Unique Identification Number (UIN) issued to you. Keep it safe: "
            "you will need your UIN to update your details or to prove who you are."
        ),
        "name": "Name",
        "uin": "UIN",
        "issued_on": "Issued on",
        "center": "Registration center",
        "qr_caption": "Signed QR code: your UIN and name",
        "verify_title": "How to check this letter",
        "verify": (
            "The QR code holds your UIN and name, signed by the registration authority's server. "
            "Anyone can check it without a network: scan or photograph the QR code, or use this PDF, "
            "and run the command below with the authority's public key. If the UIN or name it shows "
            "differ from this page, the letter has been altered."
        ),
        "key": "Signing key:",
        "footer": "Share your UIN only with people and services you trust.",
    },
    "fra": {
        "title": "Votre numéro d'identification unique",
        "intro": (
            "Cette lettre confirme le numéro d'identification unique (UIN) qui vous a été attribué. "
            "Conservez-la\u00a0: votre UIN vous sera demandé pour mettre à jour vos données ou prouver "
            "votre identité."
        ),
        "name": "Nom",
        "uin": "UIN",
        "issued_on": "Délivrée le",
        "center": "Centre d'enregistrement",
        "qr_caption": "Code QR signé\u00a0: votre UIN et votre nom",
        "verify_title": "Comment vérifier cette lettre",
        "verify": (
            "Le code QR contient votre UIN et votre nom, signés par le serveur de l'autorité "
            "d'enregistrement. Chacun peut le vérifier sans réseau\u00a0: scannez ou photographiez le code "
            "QR, ou utilisez ce PDF, puis lancez la commande ci-dessous avec la clé publique de "
            "l'autorité. Si l'UIN ou le nom affichés diffèrent de cette page, la lettre a été modifiée."
        ),
        "key": "Clé de signature\u00a0:",
        "footer": "Ne communiquez votre UIN qu'à des personnes et services de confiance.",
    },
    "ara": {
        "title": "رقم التعريف الموحد الخاص بك",
        "intro": (
            "تؤكد هذه الرسالة رقم التعريف الموحد الذي صدر لك. احتفظ بها في مكان آمن: ستحتاج إلى "
            "هذا الرقم لتحديث بياناتك أو لإثبات هويتك."
        ),
        "name": "الاسم",
        "uin": "رقم التعريف",
        "issued_on": "تاريخ الإصدار",
        "center": "مركز التسجيل",
        "qr_caption": "رمز QR موقع: رقم تعريفك واسمك",
        "verify_title": "كيف تتحقق من هذه الرسالة",
        "verify": (
            "يحمل رمز QR رقم تعريفك واسمك موقعين من خادم جهة التسجيل. يمكن لأي شخص التحقق منه دون "
            "اتصال بالشبكة: امسح رمز QR أو صوره، أو استخدم ملف PDF هذا، ثم نفذ الأمر المكتوب أدناه "
            "مع المفتاح العام لجهة التسجيل. إذا اختلف الرقم أو الاسم الظاهر عما في هذه الصفحة فقد "
            "عدلت الرسالة."
        ),
        "key": "مفتاح التوقيع:",
        "footer": "لا تشارك رقم تعريفك إلا مع أشخاص وجهات تثق بها.",
    },
}
RIGHT_TO_LEFT = frozenset({"ara"})
LANGUAGES = tuple(LETTER_WORDS)
