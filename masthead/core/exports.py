"""CSV exports from admin listings that a spreadsheet opens safely.

Names, messages and addresses come from public forms; a spreadsheet would run a cell that
starts with one of FORMULA_PREFIXES as a formula, so exported cells are defused with a
leading apostrophe.
"""

from wagtail.admin.views.generic import IndexView

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


class SafeCsvIndexView(IndexView):
    """A listing whose CSV export cannot smuggle formulas into a spreadsheet."""

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: spreadsheet_safe(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )
