#include "Url.hpp"

#include <algorithm>
#include <cctype>

namespace milepost {

namespace {

// Where the authority ("userinfo@host:port") begins and ends; npos when the
// text has no "scheme://".
std::pair<std::size_t, std::size_t> authority(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos)
        return {std::string_view::npos, std::string_view::npos};
    const std::size_t begin = scheme + 3;
    std::size_t end = url.find_first_of("/?#", begin);
    if (end == std::string_view::npos)
        end = url.size();
    return {begin, end};
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

} // namespace

std::string redact_url(std::string_view url) {
    std::string out(url);
    const auto [begin, end] = authority(url);
    if (begin != std::string_view::npos) {
        // The last '@' of the authority ends the userinfo (a password may hold '@').
        const auto at = url.substr(begin, end - begin).rfind('@');
        if (at != std::string_view::npos)
            out = std::string(url.substr(0, begin)) + "***" + std::string(url.substr(begin + at));
    }
    if (const auto query = out.find('?'); query != std::string::npos) {
        const auto fragment = out.find('#', query);
        out = out.substr(0, query + 1) + "***" +
              (fragment == std::string::npos ? std::string() : out.substr(fragment));
    }
    return out;
}

std::string url_host(std::string_view url) {
    const auto [begin, end] = authority(url);
    if (begin == std::string_view::npos)
        return {};
    std::string_view host = url.substr(begin, end - begin);
    if (const auto at = host.rfind('@'); at != std::string_view::npos)
        host.remove_prefix(at + 1);
    if (host.starts_with('[')) {
        const auto close = host.find(']');
        return close == std::string_view::npos ? std::string() : lower(host.substr(1, close - 1));
    }
    if (const auto colon = host.find(':'); colon != std::string_view::npos)
        host = host.substr(0, colon);
    return lower(host);
}

bool is_loopback_url(std::string_view url) {
    const std::string host = url_host(url);
    if (host == "localhost" || host == "::1")
        return true;
    // 127.0.0.0/8, written as four decimal numbers (a resolver would read
    // "127.1" or "0x7f.0.0.1" too, but nobody means those in a config).
    if (!host.starts_with("127."))
        return false;
    int parts = 0;
    std::size_t i = 0;
    while (i <= host.size()) {
        const auto dot = std::min(host.find('.', i), host.size());
        const std::string_view part = std::string_view(host).substr(i, dot - i);
        if (part.empty() || part.size() > 3 ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoi(std::string(part)) > 255)
            return false;
        ++parts;
        i = dot + 1;
    }
    return parts == 4;
}

bool is_https_url(std::string_view url) {
    return lower(url.substr(0, 8)) == "https://";
}

} // namespace milepost
