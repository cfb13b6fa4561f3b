#pragma once
// Which hotline a screen shows, and the words of its banner.
#include "Channel.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace milepost {

// The most specific match of `region` ("US-TX" over "US" over "*"); among those,
// the one in `lang`, then one for any language, then any. nullptr when none matches.
const Hotline* find_hotline(const std::vector<Hotline>& hotlines, std::string_view region,
                            std::string_view lang);

// The banner's lines in `lang` (en, es, fr; others fall back to English).
struct BannerText {
    std::string name;      // "National Human Trafficking Hotline"
    std::string call;      // "Call 1-888-373-7888"
    std::string text;      // "Text HELP to 233733", or ""
    std::string emergency; // "In immediate danger? Call 911", or ""
};
BannerText banner_text(const Hotline& hotline, std::string_view lang);

// The slide shown when nothing else can be: never a black screen.
struct FallbackText {
    std::string title;
    std::vector<std::string> bullets;
};
FallbackText fallback_text(const Hotline& hotline, std::string_view lang);

} // namespace milepost
