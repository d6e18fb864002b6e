"""UI chrome strings in the kiosk languages, and immediate language switching (incl. right-to-left).

Form labels come from the UI spec (master data); only the application's own words live here. Every
screen implements ``retranslate()``; :class:`Language` emits ``changed`` and flips the layout direction
so Arabic mirrors the whole window at once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

RTL_LANGUAGES = frozenset({"ara"})
LANGUAGE_NAMES = {"eng": "English", "fra": "Français", "ara": "العربية"}

_STRINGS: dict[str, dict[str, str]] = {
    "app.title": {"eng": "OpenReg kiosk", "fra": "Borne OpenReg", "ara": "كشك OpenReg"},
    "login.title": {"eng": "Sign in", "fra": "Connexion", "ara": "تسجيل الدخول"},
    "login.user": {"eng": "Officer ID", "fra": "Identifiant agent", "ara": "رقم الموظف"},
    "login.password": {"eng": "Password", "fra": "Mot de passe", "ara": "كلمة المرور"},
    "login.submit": {"eng": "Sign in", "fra": "Se connecter", "ara": "دخول"},
    "login.checking": {"eng": "Checking…", "fra": "Vérification…", "ara": "جارٍ التحقق…"},
    "lock.title": {"eng": "Kiosk locked", "fra": "Borne verrouillée", "ara": "الكشك مقفل"},
    "lock.hint": {
        "eng": "Locked after inactivity. {user}, enter your password to continue.",
        "fra": "Verrouillée après inactivité. {user}, saisissez votre mot de passe.",
        "ara": "تم القفل بسبب عدم النشاط. {user}، أدخل كلمة المرور للمتابعة.",
    },
    "lock.unlock": {"eng": "Unlock", "fra": "Déverrouiller", "ara": "فتح"},
    "lock.switch": {"eng": "Sign out", "fra": "Se déconnecter", "ara": "خروج"},
    "home.title": {"eng": "Welcome, {name}", "fra": "Bienvenue, {name}", "ara": "مرحباً، {name}"},
    "home.today": {"eng": "Registrations today", "fra": "Inscriptions du jour", "ara": "تسجيلات اليوم"},
    "home.pending_approval": {
        "eng": "Awaiting approval",
        "fra": "En attente d'approbation",
        "ara": "بانتظار الموافقة",
    },
    "home.pending_upload": {"eng": "Awaiting upload", "fra": "En attente d'envoi", "ara": "بانتظار الرفع"},
    "home.uploaded": {"eng": "Uploaded", "fra": "Envoyées", "ara": "مرفوعة"},
    "home.processed": {"eng": "Processed", "fra": "Traitées", "ara": "معالجة"},
    "home.rejected": {"eng": "Rejected", "fra": "Rejetées", "ara": "مرفوضة"},
    "home.last_sync": {
        "eng": "Last sync: {when}",
        "fra": "Dernière synchro : {when}",
        "ara": "آخر مزامنة: {when}",
    },
    "home.never": {"eng": "never", "fra": "jamais", "ara": "أبداً"},
    "home.network": {"eng": "Network: {state}", "fra": "Réseau : {state}", "ara": "الشبكة: {state}"},
    "home.online": {"eng": "online", "fra": "en ligne", "ara": "متصل"},
    "home.offline": {"eng": "offline", "fra": "hors ligne", "ara": "غير متصل"},
    "home.unknown": {"eng": "not checked", "fra": "non vérifié", "ara": "لم يُفحص"},
    "home.devices": {"eng": "Devices", "fra": "Périphériques", "ara": "الأجهزة"},
    "home.no_devices": {
        "eng": "No device service connected",
        "fra": "Aucun service de périphériques",
        "ara": "لا توجد خدمة أجهزة متصلة",
    },
    "action.new": {"eng": "New registration", "fra": "Nouvelle inscription", "ara": "تسجيل جديد"},
    "action.eod": {
        "eng": "End-of-day approval",
        "fra": "Approbation de fin de journée",
        "ara": "موافقة نهاية اليوم",
    },
    "action.sync": {"eng": "Sync centre", "fra": "Centre de synchro", "ara": "مركز المزامنة"},
    "action.lock": {"eng": "Lock", "fra": "Verrouiller", "ara": "قفل"},
    "action.logout": {"eng": "Sign out", "fra": "Se déconnecter", "ara": "خروج"},
    "action.home": {"eng": "Home", "fra": "Accueil", "ara": "الرئيسية"},
    "action.contrast": {"eng": "High contrast", "fra": "Contraste élevé", "ara": "تباين عالٍ"},
    "wizard.next": {"eng": "Next ▸", "fra": "Suivant ▸", "ara": "التالي ◂"},
    "wizard.back": {"eng": "◂ Back", "fra": "◂ Retour", "ara": "▸ رجوع"},
    "wizard.cancel": {"eng": "Cancel", "fra": "Annuler", "ara": "إلغاء"},
    "wizard.step": {
        "eng": "Step {n} of {total}",
        "fra": "Étape {n} sur {total}",
        "ara": "الخطوة {n} من {total}",
    },
    "wizard.fix": {
        "eng": "Please correct the highlighted fields.",
        "fra": "Veuillez corriger les champs signalés.",
        "ara": "يرجى تصحيح الحقول المحددة.",
    },
    "wizard.prereg": {
        "eng": "Pre-registration ID",
        "fra": "N° de pré-inscription",
        "ara": "رقم التسجيل المسبق",
    },
    "wizard.prereg_load": {"eng": "Load", "fra": "Charger", "ara": "تحميل"},
    "wizard.prereg_scan": {
        "eng": "Scan with camera (F6)",
        "fra": "Scanner (F6)",
        "ara": "المسح بالكاميرا (F6)",
    },
    "wizard.prereg_unknown": {
        "eng": "Pre-registration {id} is not in this kiosk's copy; please fill in the form.",
        "fra": "La pré-inscription {id} est absente de cette borne ; remplissez le formulaire.",
        "ara": "التسجيل المسبق {id} غير موجود في هذا الكشك؛ يرجى ملء النموذج.",
    },
    "wizard.prereg_loaded": {
        "eng": "Filled in from pre-registration {id}. Please check every field.",
        "fra": "Rempli depuis la pré-inscription {id}. Vérifiez chaque champ.",
        "ara": "تم الملء من التسجيل المسبق {id}. يرجى التحقق من كل حقل.",
    },
    "scan.title": {
        "eng": "Scan the pre-registration code",
        "fra": "Scanner le code de pré-inscription",
        "ara": "امسح رمز التسجيل المسبق",
    },
    "scan.hint": {
        "eng": "Hold the barcode or QR code flat in front of the camera.",
        "fra": "Tenez le code-barres ou QR à plat devant la caméra.",
        "ara": "ضع الرمز الشريطي أو رمز QR أمام الكاميرا.",
    },
    "scan.again": {"eng": "Scan again", "fra": "Réessayer", "ara": "امسح مجدداً"},
    "scan.cancelled": {
        "eng": "Scanning cancelled. Type the pre-registration ID or scan again.",
        "fra": "Scan annulé. Saisissez le numéro ou scannez à nouveau.",
        "ara": "تم إلغاء المسح. اكتب الرقم أو امسح مجدداً.",
    },
    "scan.no_camera": {
        "eng": "No camera is connected to scan with. Type the pre-registration ID or use a hand scanner.",
        "fra": "Aucune caméra pour scanner. Saisissez le numéro ou utilisez un lecteur.",
        "ara": "لا توجد كاميرا للمسح. اكتب الرقم أو استخدم ماسحاً يدوياً.",
    },
    "camera.waiting": {"eng": "Starting camera…", "fra": "Démarrage de la caméra…", "ara": "تشغيل الكاميرا…"},
    "docs.camera_for": {
        "eng": "Camera → {label}",
        "fra": "Caméra → {label}",
        "ara": "الكاميرا ← {label}",
    },
    "docs.camera": {"eng": "Camera", "fra": "Caméra", "ara": "الكاميرا"},
    "docs.capture": {"eng": "Capture (F5)", "fra": "Capturer (F5)", "ara": "التقاط (F5)"},
    "wizard.choose": {"eng": "— choose —", "fra": "— choisir —", "ara": "— اختر —"},
    "docs.pick": {"eng": "From file…", "fra": "Depuis un fichier…", "ara": "من ملف…"},
    "docs.none": {"eng": "No document yet", "fra": "Aucun document", "ara": "لا يوجد مستند"},
    "docs.remove": {"eng": "Remove", "fra": "Retirer", "ara": "إزالة"},
    "eod.title": {
        "eng": "End-of-day approval",
        "fra": "Approbation de fin de journée",
        "ara": "موافقة نهاية اليوم",
    },
    "eod.approve": {"eng": "Approve selected", "fra": "Approuver la sélection", "ara": "الموافقة على المحدد"},
    "eod.approve_all": {"eng": "Approve all", "fra": "Tout approuver", "ara": "الموافقة على الكل"},
    "eod.reject": {"eng": "Reject…", "fra": "Rejeter…", "ara": "رفض…"},
    "eod.reason": {"eng": "Reason for rejection", "fra": "Motif du rejet", "ara": "سبب الرفض"},
    "eod.person": {"eng": "Person", "fra": "Personne", "ara": "الشخص"},
    "eod.captured": {"eng": "Captured", "fra": "Capturé", "ara": "ما تم التقاطه"},
    "eod.officer": {"eng": "Officer", "fra": "Agent", "ara": "الموظف"},
    "eod.time": {"eng": "Time (UTC)", "fra": "Heure (UTC)", "ara": "الوقت (UTC)"},
    "eod.exceptions": {"eng": "exceptions", "fra": "exceptions", "ara": "استثناءات"},
    "eod.documents": {"eng": "documents", "fra": "documents", "ara": "مستندات"},
    "eod.empty": {
        "eng": "Nothing waits for approval.",
        "fra": "Rien en attente.",
        "ara": "لا شيء بانتظار الموافقة.",
    },
    "sync.title": {"eng": "Sync centre", "fra": "Centre de synchro", "ara": "مركز المزامنة"},
    "sync.now": {"eng": "Sync now", "fra": "Synchroniser", "ara": "زامن الآن"},
    "sync.pause": {"eng": "Pause", "fra": "Pause", "ara": "إيقاف مؤقت"},
    "sync.resume": {"eng": "Resume", "fra": "Reprendre", "ara": "استئناف"},
    "sync.retry": {"eng": "Retry", "fra": "Réessayer", "ara": "إعادة المحاولة"},
    "sync.master": {"eng": "Master data", "fra": "Données de référence", "ara": "البيانات المرجعية"},
    "sync.master_skipped": {
        "eng": "change(s) could not be applied and were reported to head office",
        "fra": "modification(s) impossible(s) à appliquer, signalée(s) au siège",
        "ara": "تغيير (تغييرات) تعذّر تطبيقها وأُبلغ عنها المقر الرئيسي",
    },
    "error.insecure_url": {
        "eng": "The server address must start with https:// (plain http only to this computer).",
        "fra": "L'adresse du serveur doit commencer par https:// (http seulement vers cet ordinateur).",
        "ara": "يجب أن يبدأ عنوان الخادم بـ https:// (http العادي فقط لهذا الحاسوب).",
    },
    "error.keys_refused": {
        "eng": "The server's keys could not be verified, so nothing was sent or changed. Call head office.",
        "fra": "Les clés du serveur n'ont pas pu être vérifiées : rien n'a été envoyé ni modifié. "
        "Appelez le siège.",
        "ara": "تعذّر التحقق من مفاتيح الخادم، فلم يُرسل أو يُغيَّر شيء. اتصل بالمقر الرئيسي.",
    },
    "error.master_refused": {
        "eng": "The master data from the server failed its checks and was not applied. Call head office.",
        "fra": "Les données de référence du serveur n'ont pas passé les contrôles et n'ont pas été "
        "appliquées. Appelez le siège.",
        "ara": "لم تجتز البيانات المرجعية من الخادم الفحوص ولم تُطبَّق. اتصل بالمقر الرئيسي.",
    },
    "error.kiosk_revoked": {
        "eng": "Head office has not approved this kiosk, or has revoked it. Registrations stay on the kiosk.",
        "fra": "Le siège n'a pas approuvé cette borne ou l'a révoquée. Les enregistrements restent sur "
        "la borne.",
        "ara": "لم يوافق المقر على هذا الكشك أو ألغاه. تبقى التسجيلات على الكشك.",
    },
    "error.kiosk_pending": {
        "eng": "This kiosk is waiting for head office to approve it.",
        "fra": "Cette borne attend l'approbation du siège.",
        "ara": "ينتظر هذا الكشك موافقة المقر الرئيسي.",
    },
    "error.offline": {
        "eng": "The server cannot be reached. Work goes on offline; the kiosk tries again later.",
        "fra": "Le serveur est injoignable. Le travail continue hors ligne ; la borne réessaiera plus tard.",
        "ara": "لا يمكن الوصول إلى الخادم. يستمر العمل دون اتصال وسيحاول الكشك لاحقاً.",
    },
    "quarantine.hash_mismatch": {
        "eng": "The sealed file changed after sealing.",
        "fra": "Le fichier scellé a changé après le scellement.",
        "ara": "تغيّر الملف المختوم بعد ختمه.",
    },
    "quarantine.truncated": {
        "eng": "The sealed file is shorter than when it was sealed.",
        "fra": "Le fichier scellé est plus court qu'au scellement.",
        "ara": "الملف المختوم أقصر مما كان عند ختمه.",
    },
    "quarantine.missing": {
        "eng": "The sealed file is missing.",
        "fra": "Le fichier scellé est introuvable.",
        "ara": "الملف المختوم مفقود.",
    },
    "quarantine.unreadable": {
        "eng": "The sealed file cannot be read.",
        "fra": "Le fichier scellé est illisible.",
        "ara": "تتعذّر قراءة الملف المختوم.",
    },
    # packet states as the sync centre's table shows them (local and server states)
    "status.approved": {"eng": "approved", "fra": "approuvé", "ara": "موافق عليه"},
    "status.pending_approval": {
        "eng": "waiting for approval",
        "fra": "en attente d'approbation",
        "ara": "بانتظار الموافقة",
    },
    "status.uploading": {"eng": "uploading", "fra": "envoi en cours", "ara": "جارٍ الرفع"},
    "status.uploaded": {"eng": "uploaded", "fra": "envoyé", "ara": "مرفوع"},
    "status.failed": {"eng": "failed", "fra": "échec", "ara": "فشل"},
    "status.registered": {"eng": "registered", "fra": "annoncé", "ara": "مسجّل"},
    "status.receiving": {"eng": "receiving", "fra": "réception en cours", "ara": "قيد الاستلام"},
    "status.received": {"eng": "received", "fra": "reçu", "ara": "مستلم"},
    "status.processing": {"eng": "processing", "fra": "en traitement", "ara": "قيد المعالجة"},
    "status.processed": {"eng": "processed", "fra": "traité", "ara": "تمت معالجته"},
    "status.rejected": {"eng": "rejected", "fra": "rejeté", "ara": "مرفوض"},
    "status.damaged": {"eng": "damaged", "fra": "endommagé", "ara": "تالف"},
    "status.unknown": {
        "eng": "unknown to the server",
        "fra": "inconnu du serveur",
        "ara": "غير معروف للخادم",
    },
    "sync.master_progress": {
        "eng": "{phase}, {rows} rows",
        "fra": "{phase}, {rows} lignes",
        "ara": "{phase}، {rows} صفاً",
    },
    "sync.phase.snapshot": {"eng": "snapshot", "fra": "instantané", "ara": "لقطة كاملة"},
    "sync.phase.changes": {"eng": "changes", "fra": "modifications", "ara": "تغييرات"},
    "sync.phase.done": {"eng": "done", "fra": "terminé", "ara": "اكتمل"},
    "sync.col_status": {"eng": "Status", "fra": "État", "ara": "الحالة"},
    "sync.col_outcome": {"eng": "UIN / reason", "fra": "UIN / motif", "ara": "الرقم الموحد / السبب"},
    "sync.packets": {"eng": "Packets", "fra": "Paquets", "ara": "الحزم"},
    "sync.idle": {"eng": "Idle", "fra": "Au repos", "ara": "خامل"},
    "sync.every": {
        "eng": "Background sync every {m} min",
        "fra": "Synchro auto toutes les {m} min",
        "ara": "مزامنة تلقائية كل {m} دقيقة",
    },
    "supervisor.title": {
        "eng": "Supervisor approval",
        "fra": "Approbation du superviseur",
        "ara": "موافقة المشرف",
    },
    "supervisor.user": {"eng": "Supervisor ID", "fra": "Identifiant superviseur", "ara": "رقم المشرف"},
    "supervisor.totp": {"eng": "One-time code", "fra": "Code à usage unique", "ara": "رمز لمرة واحدة"},
    "supervisor.approve": {"eng": "Approve", "fra": "Approuver", "ara": "موافقة"},
    "setup.title": {"eng": "Set up this kiosk", "fra": "Configurer cette borne", "ara": "إعداد هذا الكشك"},
    "setup.server": {"eng": "Server address", "fra": "Adresse du serveur", "ara": "عنوان الخادم"},
    "setup.center": {"eng": "Center ID", "fra": "N° du centre", "ara": "رقم المركز"},
    "setup.enrol": {"eng": "Enrol kiosk", "fra": "Inscrire la borne", "ara": "تسجيل الكشك"},
    "setup.reenrol_hint": {
        "eng": "This kiosk is already enrolled. A supervisor must approve enrolling it again.",
        "fra": "Cette borne est déjà inscrite. Un superviseur doit approuver une nouvelle inscription.",
        "ara": "هذا الكشك مسجل بالفعل. يجب أن يوافق مشرف على تسجيله مرة أخرى.",
    },
    # packets whose sealed file was found damaged before upload (client.core.sync.quarantine)
    "home.quarantined": {"eng": "Damaged (set aside)", "fra": "Endommagés (isolés)", "ara": "تالفة (معزولة)"},
    "sync.quarantined": {"eng": "damaged, set aside", "fra": "endommagé, isolé", "ara": "تالف، معزول"},
    "sync.quarantined_message": {
        "eng": "{n} packet(s) are damaged on this kiosk and cannot be uploaded; they were set aside. "
        "Tell the supervisor.",
        "fra": "{n} paquet(s) endommagé(s) sur cette borne ne peuvent pas être envoyés ; ils ont été isolés. "
        "Prévenez le superviseur.",
        "ara": "{n} حزمة تالفة على هذا الكشك ولا يمكن رفعها؛ تم عزلها. أبلغ المشرف.",
    },
    "eod.quarantined": {
        "eng": "{n} sealed packet(s) on this kiosk are damaged and were set aside; they cannot be uploaded "
        "and head office is told when the kiosk syncs. See the sync centre.",
        "fra": "{n} paquet(s) scellé(s) de cette borne sont endommagés et ont été isolés ; ils ne peuvent "
        "pas être envoyés et le siège est prévenu à la synchro. Voir le centre de synchro.",
        "ara": "{n} حزمة مختومة على هذا الكشك تالفة وتم عزلها؛ لا يمكن رفعها ويُبلَّغ المقر عند المزامنة. "
        "راجع مركز المزامنة.",
    },
}


def tr(key: str, language: str, **kw: object) -> str:
    """The chrome string ``key`` in ``language`` (falls back to English, then the key itself)."""
    entry = _STRINGS.get(key, {})
    text = entry.get(language) or entry.get("eng") or key
    return text.format(**kw) if kw else text


class Language(QObject):
    """The current UI language. ``set`` switches immediately; screens listen to ``changed``."""

    changed = Signal(str)

    def __init__(self, code: str = "eng", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.code = code

    @property
    def rtl(self) -> bool:
        return self.code in RTL_LANGUAGES

    def t(self, key: str, **kw: object) -> str:
        return tr(key, self.code, **kw)

    def set(self, code: str) -> None:
        self.code = code
        app = QApplication.instance()
        if app is not None:
            app.setLayoutDirection(
                Qt.LayoutDirection.RightToLeft if self.rtl else Qt.LayoutDirection.LeftToRight
            )
        self.changed.emit(code)
