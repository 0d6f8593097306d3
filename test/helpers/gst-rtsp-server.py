#!/usr/bin/env python3
"""GStreamer's RTSP server (Debian gir1.2-gst-rtsp-server-1.0) serving one H.264 clip: a
third-party camera for oko's tests and benchmarks, on 127.0.0.1 only.

  gst-rtsp-server.py CLIP [--port N] [--mount /cam ...] [--user U --password P] [--digest]

CLIP is an H.264 .mp4/.mov or .ts file, played in real time to every path in --mount (default
/cam), from the start for each new client. Prints "ready <port>" on stdout once listening (port
0, the default, picks a free one); stops on SIGTERM/SIGINT. With --user/--password only that
login may play (Basic auth, or Digest with --digest); others get 401 Unauthorized.
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('clip')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--mount', action='append')
    ap.add_argument('--user')
    ap.add_argument('--password')
    ap.add_argument('--digest', action='store_true')
    args = ap.parse_args()
    Gst.init(None)
    demux = 'tsdemux' if args.clip.lower().endswith('.ts') else 'qtdemux'
    location = args.clip.replace('\\', '\\\\').replace('"', '\\"')
    launch = f'( filesrc location="{location}" ! {demux} ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))
    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', 'viewer')
        if args.digest:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password or '', token)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ''), token)
        server.set_auth(auth)
    mounts = server.get_mount_points()
    for path in args.mount or ['/cam']:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(False)
        if args.user is not None:
            permissions = GstRtspServer.RTSPPermissions()
            role = Gst.Structure.from_string('viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true')[0]
            permissions.add_role_from_structure(role)
            factory.set_permissions(permissions)
        mounts.add_factory(path, factory)
    if server.attach(None) == 0:
        print(f'cannot listen on 127.0.0.1:{args.port}', file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f'ready {server.get_bound_port()}', flush=True)
    loop.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
