#include "SyncOptions.hpp"

#include "core/CommandLine.hpp"

namespace milepost {

const char* const kSyncUsage =
    R"(Usage: milepost-sync [--config FILE] [--data-dir DIR] [--once | --check]

Keeps this screen's channel up to date. It fetches the channel's manifest from
the content server ([content] server and channel in the device config), checks
its minisign signature against [content] public_key, downloads the media it
lacks, checks each file's size and SHA-256, and only then makes the new version
active, with one atomic rename that milepost-player notices. A refused or failed
update leaves the active channel as it was and says why. Then it uploads the
play log (DATA_DIR/playlog.db) to [logs] upload_url: finished plays in batches of
up to 5000 rows, PUT <upload_url><device-id>/plays/<first>-<last>.ndjson, each
batch named and fixed before its first try so that a retry never sends a row
twice; then status.json and the player's latest screenshot.png. It prunes the
log: uploaded rows older than [logs] keep_days, and, over [logs] max_db_mb, the
oldest rows even if not uploaded (counted as lost in the status). It is the only
Milepost program on the screen that uses the network.

Without --once or --check it runs as a daemon (a systemd service): it polls every
[content] poll_interval, give or take 20% at random, backs off after failures
(a random wait of up to 30 s, doubling to at most 30 minutes), tells systemd
when it is ready and pings its watchdog, and stops cleanly on SIGTERM.

Options:
  --config FILE     device config (TOML). Default: /etc/milepost/device.toml
                    (defaults for every key when it is absent), with the keys of
                    /boot/firmware/milepost.toml winning when that file exists.
                    A FILE given here must exist and is used alone.
  --data-dir DIR    where the channel is kept (default /var/lib/milepost):
                    objects/<sha256>, channels/<sequence>-<name>/, active
  --once            one update and upload, then exit: 0 when the screen holds a
                    verified channel at least as new as the server's valid one
                    and the pending uploads went through, 1 with the reason
                    otherwise
  --check           without the network, verify the active channel: its
                    signature, and every object's size and SHA-256; print its
                    name, sequence and item count; exit 0 when it is whole, 1
                    otherwise
  --help            show this help and exit
  --version         show the version and exit

Refused, with the active channel kept: a missing or bad signature, a key other
than [content] public_key, a sequence lower than the active one this key signed
(a rollback) or over 2^53 - 1, an object whose SHA-256 or size differs, a
manifest over 4 MiB, object names that are not 64 hexadecimal digits, a channel
that does not fit [content] max_cache_mb beside the one on screen (and never
into the [logs] max_db_mb + 32 MiB kept free for the play log).

Network: HTTPS with the server's certificate verified against the system's CAs
and [content] ca_file; plain http:// works, with a warning (the signature still
guards the content), but a request begun over https never follows a redirect to
http. Proxies come from https_proxy, http_proxy and no_proxy.
Downloads are resumed after an interruption, capped at [content] max_rate, and
run at low CPU and disk priority so that playback never waits for them.

Environment:
  MILEPOST_SYNC_LOW_SPEED_SECONDS   give up a transfer slower than 100 bytes/s
                                    for this long (default 60)

Exit status: 0 success, 1 runtime failure (the reason is logged), 2 bad usage or
bad config; errors name the file, the key and what was expected.
)";

Result<SyncOptions> parse_sync_options(const std::vector<std::string>& args) {
    CommandLineSpec spec;
    spec.valued = {"config", "data-dir"};
    spec.flags = {"once", "check"};
    auto line = parse_command_line(args, spec);
    if (!line)
        return line.error();
    SyncOptions o;
    o.help = line->help;
    o.version = line->version;
    if (const std::string* config = line->value("config"))
        o.config = *config;
    if (const std::string* data_dir = line->value("data-dir"))
        o.data_dir = *data_dir;
    if (line->has("once") && line->has("check"))
        return Error{"--once and --check exclude each other"};
    if (line->has("once"))
        o.mode = SyncMode::Once;
    else if (line->has("check"))
        o.mode = SyncMode::Check;
    return o;
}

} // namespace milepost
