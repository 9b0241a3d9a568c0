# SPDX-License-Identifier: LGPL-2.1-or-later
"""Audio backends in virtbus-qemud: a domain with an ich9 card on an ALSA
backend (with per-direction settings) and an AC97 card writing a WAV file
runs in the real QEMU; GetXMLDesc keeps every attribute and is schema-valid;
a backend this QEMU was built without, or an SDL driver choice, fails the
start naming it and leaves the domain shut off.
"""

import os

import virtbus_harness as h
from test_qemud_common import Guest, dbus_error, module_env, xmllint_relaxng

env = module_env()


def domain(name, audio, sounds="<sound model='ich9'><audio id='1'/></sound>"):
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>{h.QEMU}</emulator>
    {sounds}
    {audio}
  </devices>
</domain>"""


def test_alsa_and_wav_backends_run(env):
    wav = env.root / "guest-audio.wav"
    audio = ("<audio id='1' type='alsa' timerPeriod='50'>"
             "<input mixingEngine='yes' fixedSettings='yes' voices='1' dev='default'>"
             "<settings frequency='44100' channels='2' format='s16'/></input>"
             "<output bufferLength='200' dev='default'/></audio>"
             f"<audio id='2' type='file' path='{wav}'/>")
    sounds = "<sound model='ich9'><audio id='1'/></sound><sound model='ac97'><audio id='2'/></sound>"
    g = Guest(env, env.call("DomainDefineXML", domain("audio1", audio, sounds)), "audio1")
    try:
        g.call("Create", 0)
        cmdline = open(f"/proc/{g.pid()}/cmdline", "rb").read().split(b"\0")
        assert (b"alsa,id=audio1,timer-period=50,in.mixing-engine=on,in.fixed-settings=on,in.voices=1,"
                b"in.frequency=44100,in.channels=2,in.format=s16,in.dev=default,out.buffer-length=200,"
                b"out.dev=default") in cmdline
        assert f"wav,id=audio2,path={wav}".encode() in cmdline
        xml = g.call("GetXMLDesc", 0)
        assert "<settings frequency='44100' channels='2' format='s16'/>" in xml
        assert f"<audio id='2' type='file' path='{wav}'/>" in xml
        xmllint_relaxng(xml, "domain", "GetXMLDesc")
        assert g.state()[0] == h.DomainState.RUNNING
    finally:
        g.call("Destroy", 0)
        g.call("Undefine", 0)


def test_missing_backend_fails_the_start_naming_it(env):
    cases = [("audio2", "<audio id='1' type='sdl' driver='pulseaudio'/>", "ConfigUnsupported", ("SDL_AUDIODRIVER",))]
    if not os.path.exists("/usr/lib/x86_64-linux-gnu/qemu/audio-jack.so"):
        cases.append(("audio3", "<audio id='1' type='jack'><input serverName='none'/></audio>",
                      "OperationFailed", ("jack",)))
    for name, audio, err, words in cases:
        g = Guest(env, env.call("DomainDefineXML", domain(name, audio)), name)
        with dbus_error(err, *words) as e:
            g.call("Create", 0)
        print(f"\n{e.message}")
        assert g.state()[0] == h.DomainState.SHUTOFF
        g.call("Undefine", 0)
