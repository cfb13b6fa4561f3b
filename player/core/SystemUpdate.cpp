#include "SystemUpdate.hpp"

#include <cctype>

namespace milepost {

namespace {

bool version_digit(char c) {
    return c >= '0' && c <= '9';
}

// dpkg's weight of a character in the non-digit parts: "~" first, then the end of
// the part, then letters, then the other marks.
int order(char c) {
    if (c == '~')
        return -1;
    if (std::isalpha(static_cast<unsigned char>(c)))
        return c;
    return c + 256;
}

} // namespace

int compare_versions(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        // The non-digit parts, character by character.
        while ((i < a.size() && !version_digit(a[i])) || (j < b.size() && !version_digit(b[j]))) {
            const int ca = i < a.size() && !version_digit(a[i]) ? order(a[i]) : 0;
            const int cb = j < b.size() && !version_digit(b[j]) ? order(b[j]) : 0;
            if (ca != cb)
                return ca < cb ? -1 : 1;
            ++i;
            ++j;
        }
        // The digit parts, as numbers: leading zeros skipped, then the longer is larger.
        while (i < a.size() && a[i] == '0')
            ++i;
        while (j < b.size() && b[j] == '0')
            ++j;
        std::size_t ea = i, eb = j;
        while (ea < a.size() && version_digit(a[ea]))
            ++ea;
        while (eb < b.size() && version_digit(b[eb]))
            ++eb;
        if (ea - i != eb - j)
            return ea - i < eb - j ? -1 : 1;
        if (int c = a.substr(i, ea - i).compare(b.substr(j, eb - j)); c != 0)
            return c < 0 ? -1 : 1;
        i = ea;
        j = eb;
    }
    return 0;
}

SystemUpdateChoice choose_system_update(const SystemBundle& bundle,
                                        const DeviceConfig::Update& update,
                                        std::string_view running_version,
                                        std::string_view compatible) {
    using Action = SystemUpdateChoice::Action;
    const std::string what = "system " + bundle.version;
    if (update.channel == UpdateChannel::Off)
        return {Action::None, what + " not installed: [update] channel is \"off\""};
    if (bundle.compatible != compatible)
        return {Action::Refuse, what + " is for \"" + bundle.compatible + "\", this screen is \"" +
                                    std::string(compatible) + "\": refused"};
    const int order = compare_versions(bundle.version, running_version);
    if (order == 0)
        return {Action::None, what + " is running"};
    if (order < 0 && !bundle.downgrade)
        return {Action::Refuse, what + " is older than the running " +
                                    std::string(running_version) +
                                    ": refused (a downgrade the manifest does not allow)"};
    return {Action::Install, what + " replaces " + std::string(running_version)};
}

bool in_update_window(const UpdateWindow& window, int minutes) {
    const int start = window.start.minutes, end = window.end.minutes;
    return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

} // namespace milepost
