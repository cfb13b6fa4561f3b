// milepost-pack: builds, signs, verifies and previews published channels on a
// publisher's PC (contract "milepost-pack"). Exit status: 0 success, 1 a refused
// or failed build or a failed verification, 2 bad usage or a bad channel source.
// The commands live one a file: Keygen.cpp, Build.cpp, Verify.cpp, Preview.cpp.
#include "Commands.hpp"
#include "Preview.hpp"
#include "core/CommandLine.hpp"
#include "milepost/Version.hpp"

#include <cstdio>

using namespace milepost;
using namespace milepost::pack;

namespace {

const char* kUsage = R"(Usage:
  milepost-pack keygen --secret-key FILE --public-key FILE
  milepost-pack build SOURCE.toml --secret-key FILE --out SITE [--sequence N [--force]]
  milepost-pack verify SITE --public-key FILE [--channel NAME]
  milepost-pack preview (SOURCE.toml | SITE --channel NAME) --out SHEET.png
                        [--size WxH] [--region R] [--lang L]
                        [--plan-day DATE [--timezone ZONE]]

Builds, signs and checks Milepost channels for screens to download.

  keygen    makes a signing key pair in minisign's format, without a password.
            Keep the secret key on the publishing PC; put the public key's second
            line in each screen's device.toml ([content] public_key). Keys made
            by `minisign -G -W` work too.
  build     reads a channel source (TOML) and its media, checks that the player
            can decode every file, copies new media into SITE/objects/<sha256>,
            then writes SITE/channels/<channel>/manifest.json and its signature,
            manifest last. A refused build leaves SITE as it was. The sequence
            is one more than the SITE's current one unless --sequence is given;
            a lower one is refused, and so is a jump of more than 1,000,000 over
            the SITE's current one (0 for a new SITE) unless --force is given:
            screens refuse every sequence below the highest they have taken, so
            a mistyped one would hold them until the channel got past it.
            Sequences go up to 9007199254740991 (2^53 - 1).
  verify    checks the signature of each channel in SITE (or only NAME) with the
            public key, and the size and SHA-256 of every object it names.
  preview   draws a contact sheet: every item as the screen shows it, labelled
            with its id, language, duration and schedule. With --plan-day it
            draws that day's timeline instead, as a screen in --region with
            --lang (a list: en,es) in --timezone would play it: one strip per
            hour, coloured by item, alerts in red, a legend below.

Options:
  --secret-key FILE   the signing key (build) or where to write it (keygen)
  --public-key FILE   the public key (verify) or where to write it (keygen)
  --out PATH          the SITE folder (build) or the PNG (preview)
  --sequence N        the new manifest's sequence number (build)
  --force             accept a --sequence more than 1,000,000 above the current one
  --channel NAME      which channel of a SITE (verify, preview)
  --size WxH          the screen the preview draws for (default 1920x1080)
  --region R          the device region whose hotline the preview shows (default US)
  --lang L            only items in language L, and the banner in L (preview);
                      with --plan-day, the device's languages (default en)
  --plan-day DATE     the day (2026-12-01) whose timeline preview draws
  --timezone ZONE     the device's IANA time zone for --plan-day (default UTC)
  --help, --version

Exit status: 0 success; 1 a build refused (media that cannot be played, an
unsafe source, a manifest over 4 MiB, a lower sequence or one that leaps) or a
verification that
failed; 2 bad usage or a bad channel source.
)";

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    CommandLineSpec spec;
    spec.valued = {"secret-key", "public-key", "out",      "sequence", "channel",
                   "size",       "region",     "plan-day", "lang",     "timezone"};
    spec.flags = {"force"};
    spec.positional = true;
    auto line = parse_command_line(args, spec);
    if (line && answer_help_or_version(*line, kUsage, "milepost-pack", kVersion))
        return 0;
    if (args.empty())
        return usage_error("a command is required: keygen, build, verify or preview");
    if (!line)
        return usage_error(line.error().message);
    // The command comes first; what follows it is its arguments.
    if (line->positional.empty() || line->positional.front() != args.front())
        return usage_error("unknown command \"" + args.front() + "\"");
    Args a;
    a.command = args.front();
    a.positional.assign(line->positional.begin() + 1, line->positional.end());
    for (const auto& [name, value] : line->options)
        a.options[name] = value;
    if (a.command == "keygen")
        return keygen(a);
    if (a.command == "build")
        return build(a);
    if (a.command == "verify")
        return verify(a);
    if (a.command == "preview")
        return preview(a.positional, a.options);
    return usage_error("unknown command \"" + a.command + "\"");
}
