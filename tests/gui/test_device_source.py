"""The documents page takes the document from the core's capture port (client.core.capture.DeviceCapture)."""

from PySide6.QtWidgets import QPushButton

from tests.support.devices import DocumentCamera, capture_over

from .kiosk_steps import choose_document_type


def test_document_camera_attaches_to_the_registration(qtbot, window, kiosk):
    from client.ui.screens.documents_page import DocumentsPage
    from client.ui.screens.registration import load_form_inputs
    from demo.kiosk_fixture import OPERATOR, SAMPLE_PERSON

    window.ctx.session = kiosk.authentication.login(user_id=OPERATOR[0], password=OPERATOR[2])
    window.ctx.devices = capture_over(DocumentCamera())
    window.ctx.devices.refresh()  # the kiosk discovers its devices on the worker when it opens
    registration, options = load_form_inputs(window.ctx, None)
    registration.submit_demographics(SAMPLE_PERSON)
    page = DocumentsPage(
        registration=registration, ctx=window.ctx, screen_id="documents", options=options, language="eng"
    )
    qtbot.addWidget(page)
    camera_button = page.findChild(QPushButton, "doccamera_proofOfIdentity")
    assert camera_button is not None
    choose_document_type(page, "proofOfIdentity", "passport")
    page.capture_camera("proofOfIdentity")
    qtbot.waitUntil(lambda: "proofOfIdentity" in registration.documents)
    doc = registration.documents["proofOfIdentity"]
    assert doc.content_type == "image/jpeg" and doc.data.endswith(b"scan") and doc.doc_type == "passport"
    window.ctx.devices.close()
