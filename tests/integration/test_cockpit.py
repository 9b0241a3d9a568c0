# SPDX-License-Identifier: LGPL-2.1-or-later
"""cockpit-machines (Debian's package, unchanged) drives virtbus through
virtbus-proxyd's org.libvirt, in a real browser.

Everything is private to the test root: a private system bus with qemud and
the proxy (which owns org.libvirt there), `cockpit-ws` on 127.0.0.1 and a
free port without TLS and with a local session (its `cockpit-bridge` runs
as us, root, with DBUS_SYSTEM_BUS_ADDRESS pointing at the private bus, so
cockpit-machines in it talks to our org.libvirt), and headless Chromium
driven by chromedriver through python3-selenium. The system's
cockpit.socket, if any, is neither used nor touched.

The page is cockpit-machines' own, /cockpit/@localhost/machines/index.html,
which cockpit's shell (not needed here) shows in a frame. The tests see the
defined domains listed, click Run, see "Running", click "Shut down" (an
ACPI power button press: the test guest powers itself off) and see
"Shut off".

Needs the Debian packages cockpit-ws, cockpit-bridge, cockpit-machines,
chromium, chromium-driver and python3-selenium (scripts/install-deps.sh
check); without one of them the tests are skipped with its name."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

import virtbus_harness as h
from test_qemud_common import QemudEnv, _env_logs, READY, POWEROFF  # noqa: F401
from virtbus_harness import DomainState as S

pytestmark = pytest.mark.timeout(300)

COCKPIT_WS = Path("/usr/lib/cockpit/cockpit-ws")
MACHINES = Path("/usr/share/cockpit/machines/manifest.json")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

UI_TIMEOUT = 60         # a page or a state change shown; the box is small and shared
BOOT_TIMEOUT = 90       # the test guest under TCG
PAGE = "/cockpit/@localhost/machines/index.html"


def require_packages():
    """Skips (with the package's name) when a piece is missing."""
    for path, package in ((COCKPIT_WS, "cockpit-ws"),
                          (MACHINES, "cockpit-machines"),
                          (CHROMIUM, "chromium"),
                          (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            pytest.skip(f"{path} is missing (Debian's {package} package)")
    if not shutil.which("cockpit-bridge"):
        pytest.skip("cockpit-bridge is missing (Debian's cockpit-bridge package)")
    pytest.importorskip("selenium", reason="python3-selenium is not installed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    """The pids of pid's descendants, from /proc (pid's own children first)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    found, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(0), []):
            found.append(k)
            todo.append(k)
    return found


def kill_pids(pids, timeout=10):
    """SIGTERM, then SIGKILL what is left after `timeout`; pids we started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(h._is_zombie_or_gone(p) for p in pids):
            time.sleep(0.05)
        if all(h._is_zombie_or_gone(p) for p in pids):
            return


class CockpitWs:
    """cockpit-ws on 127.0.0.1:<free port>, plain http, with a local session:
    no login, the bridge runs as this process's user. Its environment points
    the system bus at the test's bus; its configuration, runtime and home
    directories are below the test root (XDG_CONFIG_DIRS there means
    /etc/cockpit is not read)."""

    def __init__(self, bus, root):
        self.bus = bus
        self.dir = Path(root) / "cockpit"
        self.log_path = Path(root) / "test-logs" / "cockpit-ws.log"
        self.proc = None
        self.port = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def env(self):
        env = self.bus.env
        for name, sub in (("XDG_CONFIG_DIRS", "config"), ("XDG_CONFIG_HOME", "config-home"),
                          ("XDG_RUNTIME_DIR", "runtime"), ("HOME", "home")):
            d = self.dir / sub
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
            env[name] = str(d)
        env["LANG"] = env["LC_ALL"] = "C.UTF-8"
        # what the bridge runs (python3, virsh, ...) is the system's, as on a host
        env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
        return env

    def start(self, attempts=5):
        for _ in range(attempts):       # another process may take the port first
            self.port = free_port()
            log = open(self.log_path, "ab")
            self.proc = h.spawn([COCKPIT_WS, "--no-tls", "--address", "127.0.0.1",
                                 "--port", str(self.port),
                                 "--local-session=" + shutil.which("cockpit-bridge")],
                                stdout=log, stderr=log, env=self.env())
            log.close()
            h.register_log("cockpit-ws (and its bridge)", self.log_path)
            if self._wait_listening():
                return self
            self.stop()
        raise RuntimeError(f"cockpit-ws did not start:\n{h.tail(self.log_path, 40)}")

    def _wait_listening(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self):
        """Ends cockpit-ws and whatever it started (the bridge, the bridge's
        helpers), by pid."""
        if not self.proc:
            return
        pids = children(self.proc.pid) + [self.proc.pid]
        kill_pids(pids)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None


class Browser:
    """Headless Chromium through chromedriver (selenium), its profile below
    the test root."""

    def __init__(self, root):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.dir = Path(root) / "chromium"
        self.dir.mkdir(exist_ok=True)
        self.log_path = Path(root) / "test-logs" / "chromedriver.log"
        opts = webdriver.ChromeOptions()
        opts.binary_location = str(CHROMIUM)
        # --no-sandbox: we are root. The rest keeps Chromium off the network
        # (no updates, no background services; no host name resolves): the
        # test's traffic stays on loopback.
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                  "--disable-breakpad", "--disable-crash-reporter",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-default-apps",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                  "--window-size=1400,1000",
                  f"--user-data-dir={self.dir / 'profile'}"):
            opts.add_argument(a)
        # the page's console (cockpit-machines logs what failed there)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # Chromium's and chromedriver's temporary files (they leave some)
        # and home stay below the root too.
        env = dict(os.environ)
        for name, sub in (("TMPDIR", "tmp"), ("HOME", "home")):
            (self.dir / sub).mkdir(exist_ok=True)
            env[name] = str(self.dir / sub)
        self.service = Service(str(CHROMEDRIVER), log_path=str(self.log_path),
                               service_args=["--log-level=WARNING"], env=env)
        h.register_log("chromedriver", self.log_path)
        self.driver = webdriver.Chrome(service=self.service, options=opts)
        self.driver.set_page_load_timeout(UI_TIMEOUT)

    def close(self):
        pids = []
        proc = getattr(self.service, "process", None)
        if proc is not None:
            pids = children(proc.pid) + [proc.pid]
        try:
            self.driver.quit()
        finally:
            kill_pids([p for p in pids if not h._is_zombie_or_gone(p)])
            if proc is not None and proc.poll() is None:
                proc.wait(timeout=10)

    def console(self):
        """The page's console messages since the last call."""
        try:
            return [f"{m.get('level')}: {m.get('message')}" for m in self.driver.get_log("browser")]
        except Exception:       # noqa: BLE001 - only for the report
            return []

    def screenshot(self, name):
        path = self.dir / f"{name}.png"
        try:
            self.driver.save_screenshot(str(path))
        except Exception:       # noqa: BLE001 - only for the report
            return None
        return path


class CockpitEnv(QemudEnv):
    """The private bus, qemud, the proxy (org.libvirt), cockpit-ws and a
    browser, for the module."""

    def __init__(self, guest):
        require_packages()
        super().__init__(guest)
        self.proxy = self.ws = self.browser = self.netns = None
        try:
            self._networkd()
            self.proxy = h.Proxy(self.bus, self.root).start()
            h.wait_until(lambda: self.bus.name_has_owner("org.libvirt"), 30,
                         what="org.libvirt owned by virtbus-proxyd")
            self.ws = CockpitWs(self.bus, self.root).start()
            self.browser = Browser(self.root)
        except BaseException:
            self.close()
            raise

    def _networkd(self):
        """networkd, D-Bus activated in a network namespace of the test's
        own (never in the host's), as storaged is activated: the page reads
        the networks at start. A host that cannot run networks goes without
        (the page then shows that it failed to fetch them)."""
        from test_networkd_common import host_network_limit, new_netns
        self.networkd_missing = host_network_limit()
        if self.networkd_missing:
            return
        self.netns = new_netns("vbck")
        wrapper = self.root / "networkd-in-netns"
        wrapper.write_text(f"#!/bin/sh\nexec ip netns exec {self.netns} "
                           f"{h.BUILD / 'virtbus-networkd'} \"$@\"\n")
        wrapper.chmod(0o755)
        self.bus.install_service("org.virtbus.networkd", [wrapper, "--root", self.root.path])

    def _delete_netns(self):
        from test_networkd_common import delete_netns
        delete_netns(self.netns)
        self.netns = None

    def register_logs(self):
        super().register_logs()
        h.register_log("virtbus-proxyd", self.proxy.log_path)
        h.register_log("cockpit-ws (and its bridge)", self.ws.log_path)
        h.register_log("chromedriver", self.browser.log_path)

    def close(self):
        errors = []
        for what, fn in (("browser", self.browser and self.browser.close),
                         ("cockpit-ws", self.ws and self.ws.stop),
                         ("proxyd", self.proxy and self.proxy.stop),
                         ("networkd's namespace", self.netns and self._delete_netns)):
            if not fn:
                continue
            try:
                fn()
            except Exception as e:      # noqa: BLE001 - teardown goes on
                errors.append(f"{what}: {e}")
        return errors + super().close()


@pytest.fixture(scope="module")
def env(guest, request):
    e = None
    try:
        e = CockpitEnv(guest)
        yield e
    finally:
        if e is not None:
            e.failed = request.session.testsfailed > 0
            errors = e.close()
            if errors:
                raise RuntimeError("cleanup errors: " + "; ".join(errors))


# ---------------------------------------------------------------------------
# the page

class MachinesPage:
    """cockpit-machines' page, as cockpit's shell shows it in its frame (the
    shell itself is Debian's cockpit-system, which cockpit-machines does not
    need)."""

    def __init__(self, env):
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.By = By
        self.env = env
        self.driver = env.browser.driver
        # React re-renders rows as states change: an element found a moment
        # ago may be gone; look again.
        self.wait = lambda timeout=UI_TIMEOUT: WebDriverWait(
            self.driver, timeout, 0.2, ignored_exceptions=(StaleElementReferenceException,))

    def open(self):
        d = self.driver
        # This host's CPU may lack VT-x/AMD-V (nested KVM, TCG): cockpit-machines
        # then shows "Hardware virtualization is disabled" until "Ignore" is
        # pressed, which it keeps in localStorage. That check is about the host,
        # not about virtbus: answer it beforehand, on the page's origin.
        d.get(self.env.ws.url + "/cockpit/@localhost/manifests.json")
        d.execute_script("localStorage.setItem('virtualization-disabled-ignored', 'true')")
        d.get(self.env.ws.url + PAGE)
        return self

    def body(self):
        return self.driver.find_element(self.By.TAG_NAME, "body")

    def text(self):
        try:
            return self.body().text
        except Exception:       # noqa: BLE001
            return ""

    def fail(self, what):
        """Fails the test with `what` (or what(), said when it fails), the
        page's text, a screenshot and the page's console."""
        what = what() if callable(what) else what
        shot = self.env.browser.screenshot("".join(c if c.isalnum() else "-" for c in what)[:40])
        console = "\n".join(self.env.browser.console()[-40:])
        raise AssertionError(f"{what}; the page shows:\n{self.text()[:3000]}\n"
                             f"(screenshot {shot})\nthe page's console:\n{console}")

    def until(self, fn, what, timeout=UI_TIMEOUT):
        from selenium.common.exceptions import TimeoutException
        try:
            return self.wait(timeout).until(lambda _: fn())
        except TimeoutException:
            pass
        self.fail(what)

    def element(self, elem_id):
        found = self.driver.find_elements(self.By.ID, elem_id)
        return found[0] if found else None

    def wait_element(self, elem_id, what=None, timeout=UI_TIMEOUT):
        return self.until(lambda: self.element(elem_id), what or f"no #{elem_id}", timeout)

    def click(self, elem_id, what=None):
        def clicked():
            e = self.element(elem_id)
            if e is None or not e.is_displayed() or not e.is_enabled():
                return False
            e.click()
            return True
        self.until(clicked, what or f"#{elem_id} not there to click")

    # cockpit-machines' ids: vm-<name>-<connection>-<what>
    def state_of(self, name):
        e = self.element(f"vm-{name}-system-state")
        try:
            return e.text.strip() if e is not None else None
        except Exception:       # noqa: BLE001 - re-rendered under us
            return None

    def wait_state(self, name, state, timeout=UI_TIMEOUT):
        self.until(lambda: self.state_of(name) == state,
                   lambda: f"{name} not shown as {state!r} (shown: {self.state_of(name)!r})",
                   timeout)


@pytest.fixture(scope="module")
def page(env):
    """The page, opened with two guests defined, and a NAT network started
    when networkd can run here."""
    env.define("ck1")
    env.define("ck2")
    if not env.networkd_missing:
        from test_networkd_common import nat_xml
        net = env.bus.call("org.libvirt", "/org/libvirt/QEMU", "org.libvirt.Connect",
                           "NetworkDefineXML", nat_xml("cknet", "192.168.231", "vbck0"))
        env.bus.call("org.libvirt", net, "org.libvirt.Network", "Create")
    return MachinesPage(env).open()


# ---------------------------------------------------------------------------

def test_machines_page_lists_domains(env, page):
    """The Machines page reads the domains from org.libvirt: both guests
    defined before it opened are listed, shut off, on the system connection;
    one defined while it is open appears (DomainEvent DEFINED, re-emitted by
    the proxy) and goes when undefined."""
    for name in ("ck1", "ck2"):
        page.wait_element(f"vm-{name}-system-name", f"{name} is not listed")
        page.wait_state(name, "Shut off")
    assert "Virtualization service (libvirt) is not active" not in page.text()
    if env.networkd_missing:
        print(f"no networkd here ({env.networkd_missing}): networks not checked")
    else:
        # the networks card counts what ListNetworks gave; every call the
        # page makes at start succeeded (none is named in a banner)
        page.until(lambda: "1 Network" in (page.element("card-pf-networks") or page.body()).text,
                   "the network is not counted")
        assert "Failed to fetch some resources" not in page.text()

    g = env.define("ck3")
    page.wait_element("vm-ck3-system-name", "ck3, defined while the page is open, is not listed")
    page.wait_state("ck3", "Shut off")
    g.call("Undefine", 0)
    page.until(lambda: page.element("vm-ck3-system-name") is None, "ck3 is still listed")


def test_run_and_shut_down(env, page):
    """Run starts the guest (Running shown, the guest boots); Shut down
    presses its power button: the guest powers itself off and the page
    shows Shut off."""
    g = h.wait_until(lambda: env.call("DomainLookupByName", "ck1"), 10, what="ck1")
    page.wait_state("ck1", "Shut off")
    page.click("vm-ck1-system-run", "no Run button for ck1")
    page.wait_state("ck1", "Running")
    assert env.state(g)[0] == S.RUNNING
    # the power button is heard once the guest's acpid listens (READY)
    h.wait_until(lambda: READY.encode() in env.serials["ck1"].read_bytes(), BOOT_TIMEOUT,
                 0.2, "the guest's READY")
    page.click("vm-ck1-system-shutdown-button", "no Shut down button for ck1")
    page.wait_state("ck1", "Shut off", BOOT_TIMEOUT)
    assert POWEROFF.encode() in env.serials["ck1"].read_bytes(), \
        "the guest did not power itself off (no POWEROFF on its console)"
    assert env.state(g)[0] == S.SHUTOFF
    # ck2 was never touched
    assert page.state_of("ck2") == "Shut off"


def test_pause_resume_force_off(env, page):
    """The row's menu: Pause (Paused shown, DomainEvent SUSPENDED), Resume
    (Running again, RESUMED) and Force shut down (Destroy: Shut off)."""
    g = env.call("DomainLookupByName", "ck2")
    page.wait_state("ck2", "Shut off")
    page.click("vm-ck2-system-run", "no Run button for ck2")
    page.wait_state("ck2", "Running")
    for item, state, api_state in (("pause", "Paused", S.PAUSED),
                                   ("resume", "Running", S.RUNNING),
                                   ("forceOff", "Shut off", S.SHUTOFF)):
        page.click("vm-ck2-system-action-kebab", "no menu for ck2")
        page.click(f"vm-ck2-system-{item}", f"no {item} in ck2's menu")
        page.wait_state("ck2", state)
        assert env.state(g)[0] == api_state
