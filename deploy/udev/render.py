"""Fill in 70-kiosk-devices.rules.in (stdin to stdout) from --printer/--scanner VENDOR:PRODUCT[:SERIAL].

A device that is not given keeps its rule, commented out, as the example to fill in by hand.
"""

import argparse
import re
import sys

# With fullmatch: "$" would let a line break through, and with it a rule of the caller's own.
_IDS = re.compile(r"(?P<vendor>[0-9a-fA-F]{4}):(?P<product>[0-9a-fA-F]{4})(?::(?P<serial>[A-Za-z0-9._-]+))?")


def _fields(name: str, value: str) -> dict[str, str]:
    marker = name.upper()
    if not value:
        return {marker: "# ", f"{marker}_VENDOR": "VVVV", f"{marker}_PRODUCT": "PPPP",
                f"{marker}_SERIAL_MATCH": 'ATTRS{serial}=="SERIAL", '}
    match = _IDS.fullmatch(value)
    if match is None:
        sys.exit(f"--{name} {value!r}: expected VENDOR:PRODUCT[:SERIAL], four hex digits each, "
                 "e.g. 0519:2013:A1B2C3 (udevadm info shows them)")
    serial = match["serial"]
    return {marker: "", f"{marker}_VENDOR": match["vendor"].lower(),
            f"{marker}_PRODUCT": match["product"].lower(),
            f"{marker}_SERIAL_MATCH": f'ATTRS{{serial}}=="{serial}", ' if serial else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--printer", default="")
    parser.add_argument("--scanner", default="")
    args = parser.parse_args()
    fields = {**_fields("printer", args.printer), **_fields("scanner", args.scanner)}
    text = sys.stdin.read()
    # Longest names first: @PRINTER@ must not eat the start of @PRINTER_VENDOR@.
    for key in sorted(fields, key=len, reverse=True):
        text = text.replace(f"@{key}@", fields[key])
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
