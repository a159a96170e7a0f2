"""The validator a partner would write in Python, the peer `make bench` times
`ztd-dashboard check` against (benches/check.rs): the csv module over the file opened as
utf-8-sig, the header lowercased, columns by name, each hash through
base64.b64decode(validate=True) and refused under 64 bytes, a row needing a hash or a
product key, duplicates by the first of hash / product key / serial in a set.

Usage: python3 benches/peer_check.py devices.csv; exit status 1 when a row has an error."""

import base64
import binascii
import csv
import sys


def main(path):
    errors = 0
    seen = set()
    with open(path, encoding="utf-8-sig", newline="") as file:
        rows = csv.reader(file)
        header = [name.strip().lower() for name in next(rows)]
        serial = header.index("device serial number")
        key = header.index("windows product id")
        hashes = header.index("hardware hash")
        for row in rows:
            hardware_hash = row[hashes].strip() if len(row) > hashes else ""
            product_key = row[key].strip() if len(row) > key else ""
            serial_number = row[serial].strip() if len(row) > serial else ""
            if hardware_hash:
                try:
                    if len(base64.b64decode(hardware_hash, validate=True)) < 64:
                        errors += 1
                except (binascii.Error, ValueError):
                    errors += 1
            elif not product_key:
                errors += 1
            identity = hardware_hash or product_key or serial_number
            if identity in seen:
                errors += 1
            seen.add(identity)
    print(f"{path}: {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
