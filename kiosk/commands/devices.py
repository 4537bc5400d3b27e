"""``kiosk printer …``, ``kiosk scanner …`` and ``kiosk emulate …``: the devices from a shell.

A thin layer over ``devices``: flags override the ``[printer]`` and ``[scanner]`` sections of
the configuration; results are JSON on stdout, one document per line; words go to stderr.

  kiosk printer status [--port P] [--profile X]    exit 0 when the printer can print
  kiosk printer test   [--port P] [--profile X]    exit 0 when printed and the status after is ok
  kiosk scanner read   [--port P] [--count N] [--timeout S]   one line per scan
  kiosk scanner emit   PORT_OR_CONTROL PAYLOAD     make an emulated scanner send a code
  kiosk emulate printer [--profile P] [--out DIR]  run a printer on a pty until interrupted
  kiosk emulate scanner [--dir DIR]                run a scanner on a pty until interrupted
  kiosk emulate fault  CONTROL NAME [--after-bytes N]   NAME: a fault, or ok to clear all
  kiosk emulate clear  CONTROL [NAME]
  kiosk emulate state  CONTROL
"""

from __future__ import annotations

import argparse
import base64
import signal
import threading
import time
from typing import Any

from devices.emulators import FAULTS, PrinterEmulator, ScannerEmulator
from devices.emulators import control
from devices.printer import ReceiptPrinter
from devices.profiles import PROFILES
from devices.scanner import BillScanner
from devices.transport import BAUD_RATES, FLOW_CONTROLS
from kiosk.billcode import ScanResult, parse_scan
from kiosk.commands.output import emit, say

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

TERMINATORS = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t"}


def register(subparsers: argparse._SubParsersAction) -> None:
    _register_printer(subparsers)
    _register_scanner(subparsers)
    _register_emulate(subparsers)


# -- printer -------------------------------------------------------------------------------

def _register_printer(subparsers: argparse._SubParsersAction) -> None:
    printer = subparsers.add_parser("printer", help="the receipt printer")
    actions = printer.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="ask the printer for its status (JSON)")
    _printer_options(status)
    status.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for answers (default 1)")
    status.set_defaults(run=_printer_status)
    test = actions.add_parser("test", help="print a test slip: alphabet, symbols, QR (JSON)")
    _printer_options(test)
    test.add_argument("--deadline", type=float, help="seconds to wait at most (default 5 + wire time)")
    test.set_defaults(run=_printer_test)


def _printer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", help="serial port (default: [printer] port)")
    parser.add_argument("--profile", choices=sorted(PROFILES), help="printer model (default: [printer] profile)")
    parser.add_argument("--baud", type=int, choices=BAUD_RATES, help="default: [printer] baud")
    parser.add_argument("--flow-control", choices=FLOW_CONTROLS, help="default: [printer] flow_control")
    parser.add_argument("--columns", type=int, help="characters per line, e.g. 48 on a 576-dot head")


def _open_printer(args: argparse.Namespace, context: Any) -> ReceiptPrinter | None:
    settings = None
    if not (args.port and args.profile and args.baud and args.flow_control):
        settings = context.config.printer
    port = args.port or settings.port
    if not port:
        say("kiosk: no printer port: give --port or set [printer] port")
        return None
    return ReceiptPrinter(
        port,
        args.profile or settings.profile,
        args.baud or settings.baud,
        args.flow_control or settings.flow_control,
        columns=args.columns,
    )


def _printer_status(args: argparse.Namespace, context: Any) -> int:
    printer = _open_printer(args, context)
    if printer is None:
        return EXIT_USAGE
    with printer:
        status = printer.status(timeout=args.timeout)
    emit({"port": printer.port, "profile": printer.profile.name, **status.as_dict()})
    if not status.ok:
        say(f"kiosk: printer: {status.problem}")
    return EXIT_OK if status.ok else EXIT_FAILURE


def _printer_test(args: argparse.Namespace, context: Any) -> int:
    printer = _open_printer(args, context)
    if printer is None:
        return EXIT_USAGE
    with printer:
        outcome = printer.print_test(deadline=args.deadline)
    emit({"port": printer.port, "profile": printer.profile.name, **outcome.as_dict()})
    if not outcome.printed:
        say(f"kiosk: test slip not printed: {outcome.reason}")
        return EXIT_FAILURE
    return EXIT_OK


# -- scanner -------------------------------------------------------------------------------

def _register_scanner(subparsers: argparse._SubParsersAction) -> None:
    scanner = subparsers.add_parser("scanner", help="the bill scanner")
    actions = scanner.add_subparsers(dest="action", metavar="ACTION", required=True)
    read = actions.add_parser("read", help="print each scan as a JSON line")
    read.add_argument("--port", help="serial port (default: [scanner] port)")
    read.add_argument("--baud", type=int, choices=BAUD_RATES, help="default: [scanner] baud")
    read.add_argument("--terminator", choices=sorted(TERMINATORS), default="cr", help="end of a code (default cr)")
    read.add_argument("--count", type=int, help="stop after this many scans")
    read.add_argument("--timeout", type=float, help="stop after this many seconds")
    read.set_defaults(run=_scanner_read)
    emit_parser = actions.add_parser("emit", help="make an emulated scanner send a code")
    emit_parser.add_argument("target", metavar="PORT_OR_CONTROL",
                             help="the emulator's control socket, port link or pty")
    emit_parser.add_argument("payload", metavar="PAYLOAD")
    emit_parser.add_argument("--encoding", default="utf-8", choices=("utf-8", "cp1251", "koi8-r", "hex"),
                             help="how to turn PAYLOAD into bytes (hex: PAYLOAD is hex digits)")
    emit_parser.set_defaults(run=_scanner_emit)


def _scan_document(result: ScanResult) -> dict[str, Any]:
    # Only the field names: a bill may carry the payer's name and address, which stay private.
    return {"kind": result.kind, "account": result.account, "reason": result.reason,
            "encoding": result.encoding, "keys": sorted(result.fields)}


def _scanner_read(args: argparse.Namespace, context: Any) -> int:
    settings = context.config.scanner if not (args.port and args.baud) else None
    port = args.port or settings.port
    if not port:
        say("kiosk: no scanner port: give --port or set [scanner] port")
        return EXIT_USAGE
    lock = threading.Lock()
    done = threading.Event()
    seen = 0

    def on_scan(line: bytes) -> None:
        nonlocal seen
        result = parse_scan(line)
        with lock:
            if done.is_set():
                return
            emit(_scan_document(result))
            seen += 1
            if args.count and seen >= args.count:
                done.set()

    scanner = BillScanner(port, args.baud or settings.baud, TERMINATORS[args.terminator], on_scan)
    scanner.start()
    try:
        if scanner.wait_connected(min(args.timeout or 3.0, 3.0)):
            say(f"kiosk: reading scans from {port}")
        else:
            say(f"kiosk: scanner on {port} not connected yet; waiting")
        end = None if args.timeout is None else time.monotonic() + args.timeout
        while not done.is_set():
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                break
            done.wait(0.2 if left is None else min(left, 0.2))
    finally:
        scanner.stop()
    if args.count and seen < args.count:
        say(f"kiosk: {seen} of {args.count} scans before the timeout")
        return EXIT_FAILURE
    return EXIT_OK


def _scanner_emit(args: argparse.Namespace, context: Any) -> int:
    try:
        payload = bytes.fromhex(args.payload) if args.encoding == "hex" else args.payload.encode(args.encoding)
    except (ValueError, UnicodeEncodeError) as exc:
        say(f"kiosk: payload cannot be sent as {args.encoding}: {exc}")
        return EXIT_USAGE
    return _control(args.target, {"cmd": "emit", "payload_b64": base64.b64encode(payload).decode()})


# -- emulators -----------------------------------------------------------------------------

def _register_emulate(subparsers: argparse._SubParsersAction) -> None:
    emulate = subparsers.add_parser("emulate", help="device emulators on pseudo-terminals")
    actions = emulate.add_subparsers(dest="action", metavar="ACTION", required=True)
    printer = actions.add_parser("printer", help="run a printer emulator until interrupted")
    printer.add_argument("--profile", choices=sorted(PROFILES), default="epson")
    printer.add_argument("--out", help="folder for the port link, control socket and slips (default: a new one)")
    printer.add_argument("--columns", type=int, help="characters per line")
    printer.add_argument("--take-after", type=float, default=5.0,
                         help="seconds until the customer takes a presented slip (presenter models)")
    printer.set_defaults(run=_emulate_printer)
    scanner = actions.add_parser("scanner", help="run a scanner emulator until interrupted")
    scanner.add_argument("--dir", help="folder for the port link and control socket")
    scanner.add_argument("--terminator", choices=sorted(TERMINATORS), default="cr")
    scanner.set_defaults(run=_emulate_scanner)
    fault = actions.add_parser("fault", help="switch a fault on in a running emulator")
    fault.add_argument("target", metavar="CONTROL", help="control socket, port link or pty")
    fault.add_argument("name", choices=FAULTS + ("ok",), help="ok clears all faults")
    fault.add_argument("--after-bytes", type=int, help="strike after this many more bytes (mid-slip)")
    fault.set_defaults(run=_emulate_fault)
    clear = actions.add_parser("clear", help="clear one fault, or all")
    clear.add_argument("target", metavar="CONTROL")
    clear.add_argument("name", nargs="?", choices=FAULTS)
    clear.set_defaults(run=lambda args, context: _control(args.target, {"cmd": "clear", "name": args.name}))
    state = actions.add_parser("state", help="an emulator's faults and counters (JSON)")
    state.add_argument("target", metavar="CONTROL")
    state.set_defaults(run=lambda args, context: _control(args.target, {"cmd": "state"}))


def _emulate_printer(args: argparse.Namespace, context: Any) -> int:
    profile = PROFILES[args.profile].with_options(columns=args.columns)
    emulator = PrinterEmulator(profile, out=args.out, take_after_s=args.take_after)
    return _run_emulator(emulator)


def _emulate_scanner(args: argparse.Namespace, context: Any) -> int:
    return _run_emulator(ScannerEmulator(args.dir, terminator=TERMINATORS[args.terminator]))


def _run_emulator(emulator: PrinterEmulator | ScannerEmulator) -> int:
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    emulator.start()
    try:
        emit(emulator.state())
        say(f"{emulator.kind} emulator on {emulator.link}; Ctrl-C to stop")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


def _emulate_fault(args: argparse.Namespace, context: Any) -> int:
    message: dict[str, Any] = {"cmd": "fault", "name": args.name}
    if args.after_bytes:
        message["after_bytes"] = args.after_bytes
    return _control(args.target, message)


def _control(target: str, message: dict[str, Any]) -> int:
    try:
        reply = control.request(target, message)
    except control.ControlError as exc:
        say(f"kiosk: {exc}")
        return EXIT_FAILURE
    emit(reply)
    if not reply.get("ok"):
        say(f"kiosk: {reply.get('error', 'the emulator refused')}")
        return EXIT_FAILURE
    return EXIT_OK
