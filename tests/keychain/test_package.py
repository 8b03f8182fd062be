import subprocess
import sys


def test_credentials_never_import_textual():
    code = (
        "import sys, acrbrowse.keychain, acrbrowse.locations\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_public_api_is_exported():
    import acrbrowse.keychain as credentials

    for name in credentials.__all__:
        assert getattr(credentials, name) is not None
