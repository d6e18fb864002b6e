"""Bring a MOSIP deployment's form and master data to OpenReg: the identity schema, the registration
client's UI-spec processes (new, update, lost) and the CSV exports of locations, genders and document
categories/types, converted to OpenReg's import format with a report of every element that does not
convert (docs/forms.md, "Converting from MOSIP"). ``openreg admin masterdata import-mosip`` runs it.
"""

from sync_server.masterdata_mosip.convert import Conversion, ConversionOptions, convert
from sync_server.masterdata_mosip.report import ConversionReport, MosipInputError, ReportItem

__all__ = ["Conversion", "ConversionOptions", "ConversionReport", "MosipInputError", "ReportItem", "convert"]
