#include "core/Hotline.hpp"

#include <doctest/doctest.h>

using namespace milepost;

namespace {
Hotline line(const char* region, const char* lang, const char* call) {
    Hotline h;
    h.region = region;
    h.lang = lang;
    h.name = std::string("Hotline ") + region;
    h.call = call;
    return h;
}
} // namespace

TEST_CASE("the most specific region wins: US-TX over US over *") {
    std::vector<Hotline> all{line("*", "", "star"), line("US", "", "us"), line("US-TX", "", "tx"),
                             line("CA", "", "ca")};
    CHECK(find_hotline(all, "US-TX", "en")->call == "tx");
    CHECK(find_hotline(all, "US-OK", "en")->call == "us");
    CHECK(find_hotline(all, "US", "en")->call == "us");
    CHECK(find_hotline(all, "CA-ON", "fr")->call == "ca");
    CHECK(find_hotline(all, "MX", "es")->call == "star");
    CHECK(find_hotline(all, "", "en")->call == "star");
    // "US" is not a prefix of "USA-1" nor of "UST": prefixes end at a dash.
    CHECK(find_hotline(all, "UST", "en")->call == "star");

    std::vector<Hotline> no_star{line("US", "", "us")};
    CHECK(find_hotline(no_star, "CA", "en") == nullptr);
}

TEST_CASE("the hotline in the item's language is preferred within the same region") {
    std::vector<Hotline> all{line("US", "en", "us-en"), line("US", "es", "us-es"),
                             line("*", "fr", "star-fr")};
    CHECK(find_hotline(all, "US-TX", "es")->call == "us-es");
    CHECK(find_hotline(all, "US-TX", "fr")->call == "us-en"); // region beats language
    CHECK(find_hotline(all, "CA", "fr")->call == "star-fr");
}

TEST_CASE("banner words follow the language") {
    Hotline h = line("US", "", "1-888-373-7888");
    h.text = "233733";
    h.text_keyword = "HELP";
    h.emergency = "911";
    BannerText en = banner_text(h, "en");
    CHECK(en.call == "Call 1-888-373-7888");
    CHECK(en.text == "Text HELP to 233733");
    CHECK(en.emergency == "In immediate danger? Call 911");
    BannerText es = banner_text(h, "es");
    CHECK(es.call == "Llame al 1-888-373-7888");
    CHECK(es.emergency == "¿En peligro inmediato? Llame al 911");
    BannerText fr = banner_text(h, "fr");
    CHECK(fr.call == "Appelez le 1-888-373-7888");
    CHECK(banner_text(h, "de").call == "Call 1-888-373-7888");

    h.text_keyword.clear();
    CHECK(banner_text(h, "en").text == "Text 233733");
    h.text.clear();
    h.emergency.clear();
    CHECK(banner_text(h, "en").text.empty());
    CHECK(banner_text(h, "en").emergency.empty());
}

TEST_CASE("the fallback slide speaks the device's language and names the emergency number") {
    Hotline h = line("*", "", "1-888-373-7888");
    h.emergency = "911";
    FallbackText f = fallback_text(h, "fr");
    CHECK(f.title.find("traite") != std::string::npos);
    CHECK(f.bullets.back().find("911") != std::string::npos);
}
