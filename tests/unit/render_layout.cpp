#include "core/Channel.hpp"
#include "render/CaptionBox.hpp"
#include "render/TextLayout.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <set>

#include <map>

#include <cmath>

using namespace milepost;

namespace {

Fonts& fonts() {
    static Fonts f = [] {
        auto r = Fonts::open();
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
        return std::move(*r);
    }();
    return f;
}

const std::vector<std::string> kShortBullets{"Someone going from truck to truck",
                                             "A person who cannot speak for themselves"};
const std::vector<std::string> kLongBullets{
    "Someone who is dropped off and picked up by a controlling person again and again",
    "A person who seems to be coached, fearful, or never allowed to speak for themselves",
    "Someone with no ID, or whose documents are held by another person",
    "Signs of abuse, malnutrition or injuries that do not match the story told",
    "Ask yourself: is this person free to leave? Write down plates and truck numbers"};

Size canvas_for(Size panel, int rotation) {
    return rotation == 90 || rotation == 270 ? Size{panel.height, panel.width} : panel;
}

BannerText us_banner() {
    Hotline h{"US",     "en",   "National Human Trafficking Hotline",  "1-888-373-7888",
              "233733", "HELP", "https://humantraffickinghotline.org", "911"};
    return banner_text(h, "en");
}

} // namespace

TEST_CASE("wrapping keeps every line within the width and loses no word") {
    const int px = 40;
    auto lines = wrap_text(fonts(), Face::Regular, px,
                           "Someone going from truck to truck at the far end of the lot", 400);
    REQUIRE(lines.size() > 1);
    std::string joined;
    for (const auto& l : lines) {
        CHECK(fonts().width(Face::Regular, px, l) <= 400);
        joined += (joined.empty() ? "" : " ") + l;
    }
    CHECK(joined == "Someone going from truck to truck at the far end of the lot");
    // A word wider than the line is broken between characters, never between UTF-8 bytes.
    auto broken = wrap_text(fonts(), Face::Regular, px, "ééééééééééééééééééééééééééééé", 200);
    REQUIRE(broken.size() > 1);
    for (const auto& l : broken) {
        CHECK(fonts().width(Face::Regular, px, l) <= 200);
        CHECK(l.size() % 2 == 0);
    }
}

TEST_CASE("slides and banner stay inside the canvas at every size and rotation") {
    const Size panels[] = {{640, 360}, {1280, 720}, {1920, 1080}, {3840, 2160}};
    const std::vector<std::string>* bullet_sets[] = {&kShortBullets, &kLongBullets};
    for (Size panel : panels) {
        for (int rotation : {0, 90, 180, 270}) {
            const Size canvas = canvas_for(panel, rotation);
            const Rect whole{0, 0, canvas.width, canvas.height};
            const int min_px =
                static_cast<int>(std::ceil(0.03 * std::min(canvas.width, canvas.height)));
            for (BannerPosition pos : {BannerPosition::Bottom, BannerPosition::Top}) {
                BannerLayout banner = layout_banner(fonts(), us_banner(), true, canvas, pos);
                CAPTURE(panel.width);
                CAPTURE(rotation);
                CHECK(whole.contains(banner.box));
                CHECK(banner.box.contains(banner.qr));
                CHECK(banner.box.h < canvas.height / 3);
                bool has_number = false;
                for (const auto& l : banner.lines) {
                    CHECK(banner.box.contains(l.box));
                    CHECK(l.px >= min_px);
                    CHECK(l.box.x + l.box.w <= banner.qr.x); // never under the QR code
                    has_number = has_number || l.text.find("1-888-373-7888") != std::string::npos;
                }
                CHECK(has_number);
                const Rect area = content_area(canvas, banner);
                CHECK(area.h + banner.box.h == canvas.height);
                for (const auto* bullets : bullet_sets) {
                    SlideLayout s = layout_slide(fonts(), "Signs to watch for on the lot", *bullets,
                                                 area, canvas);
                    CHECK(!s.cut);
                    CHECK(s.body_px >= min_px);
                    CHECK(s.title_px >= s.body_px);
                    for (const auto& l : s.lines) {
                        CHECK_MESSAGE(area.contains(l.box), l.text);
                        CHECK(l.px >= min_px);
                    }
                }
            }
        }
    }
}

TEST_CASE(
    "a short slide gets a title of at least 6% of the height and bigger text than a long one") {
    const Size canvas{1920, 1080};
    BannerLayout banner = layout_banner(fonts(), us_banner(), true, canvas, BannerPosition::Bottom);
    const Rect area = content_area(canvas, banner);
    SlideLayout short_slide = layout_slide(fonts(), "On the lot", kShortBullets, area, canvas);
    SlideLayout long_slide = layout_slide(fonts(), "On the lot", kLongBullets, area, canvas);
    CHECK(short_slide.title_px >= std::ceil(0.06 * canvas.height));
    CHECK(short_slide.body_px > long_slide.body_px);
    // Lines do not overlap: each starts at or below the one before.
    for (size_t i = 1; i < long_slide.lines.size(); ++i)
        if (long_slide.lines[i].role != TextRole::Body ||
            long_slide.lines[i - 1].role != TextRole::Marker)
            CHECK(long_slide.lines[i].box.y >= long_slide.lines[i - 1].box.y);
}

TEST_CASE("a slide too long for any readable size is cut, marked, and still inside") {
    const Size canvas{640, 360};
    std::vector<std::string> many(
        30, "A very long bullet that keeps going and going well past the end of any "
            "line, then wraps, and wraps again, and still goes on");
    BannerLayout banner = layout_banner(fonts(), us_banner(), true, canvas, BannerPosition::Bottom);
    const Rect area = content_area(canvas, banner);
    SlideLayout s = layout_slide(fonts(), "Title", many, area, canvas);
    CHECK(s.cut);
    REQUIRE(!s.lines.empty());
    CHECK(s.lines.back().text.ends_with("\u2026"));
    for (const auto& l : s.lines)
        CHECK(area.contains(l.box));
}

namespace {

// A built-in channel passes what its screens need: every topic in English, Spanish
// and French, at most five bullets a slide, the hotlines of the regions served,
// and every slide whole at every size from 640x360 to 3840x2160 and every
// rotation (90 and 270 turn the panel into the same portrait canvas, 0 and 180
// into the same landscape one), titles at least 6% and text 3% of the short side.
void check_builtin_channel(const std::string& name) {
    std::vector<std::string> warnings;
    Channel channel = load_channel_source(
        std::string(MILEPOST_BUILTIN_DIR) + "/" + name + "/channel.toml", warnings);
    CHECK(warnings.empty());
    CHECK(channel.name == name);
    REQUIRE(channel.items.size() >= 15);
    for (const char* region : {"US", "CA", "MX", "BR"})
        for (const char* lang : {"en", "es", "fr"})
            CHECK_MESSAGE(find_hotline(channel.hotlines, region, lang), region, " ", lang);
    // Every topic in the three languages: ids "<topic>-en", "-es", "-fr".
    std::map<std::string, std::set<std::string>> topics;
    for (const Item& item : channel.items) {
        CHECK_MESSAGE(item.type == ItemType::Slide, item.id);
        CHECK_MESSAGE(item.bullets.size() <= 5, item.id);
        CHECK_MESSAGE(item.id.ends_with("-" + item.lang), item.id);
        topics[item.id.substr(0, item.id.size() - 3)].insert(item.lang);
    }
    const std::set<std::string> all_three{"en", "es", "fr"};
    for (const auto& topic : topics)
        CHECK_MESSAGE(topic.second == all_three, topic.first);
    for (Size panel : {Size{640, 360}, Size{1280, 720}, Size{1920, 1080}, Size{3840, 2160}})
        for (int rotation : {0, 90}) {
            const Size canvas = canvas_for(panel, rotation);
            for (const Item& item : channel.items) {
                const Hotline* h = find_hotline(channel.hotlines, "US", item.lang);
                BannerLayout banner = layout_banner(fonts(), banner_text(*h, item.lang), true,
                                                    canvas, BannerPosition::Bottom);
                SlideLayout s = layout_slide(fonts(), item.title, item.bullets,
                                             content_area(canvas, banner), canvas);
                CHECK_MESSAGE(!s.cut, item.id, " at ", canvas.width, "x", canvas.height);
                CHECK_MESSAGE(s.title_px >= kMinTitleFraction * text_basis(canvas), item.id, " at ",
                              canvas.width, "x", canvas.height);
                CHECK_MESSAGE(s.body_px >= kMinTextFraction * text_basis(canvas), item.id, " at ",
                              canvas.width, "x", canvas.height);
            }
        }
}

} // namespace

TEST_CASE("the built-in channel truckstop fits every size and rotation in three languages") {
    check_builtin_channel("truckstop");
    CHECK(builtin_channel_for("default") == "truckstop");
    CHECK(builtin_channel_for("") == "truckstop");
    CHECK(builtin_channel_for("trucking") == "truckstop");
    CHECK(builtin_channel_for("bus") == "bus");
    CHECK(is_builtin_channel("default"));
    CHECK(!is_builtin_channel("buss"));
    CHECK(std::size(kBuiltinChannels) == 4);
}

TEST_CASE("the built-in channel bus fits every size and rotation in three languages") {
    check_builtin_channel("bus");
}

TEST_CASE("the built-in channel weigh-station fits every size and rotation in three languages") {
    check_builtin_channel("weigh-station");
}

TEST_CASE("the built-in channel licensing fits every size and rotation in three languages") {
    check_builtin_channel("licensing");
}

TEST_CASE("a caption sits above the banner inside the safe area, at least 4.5% of the short "
          "side tall, in at most 3 lines, at every size and rotation") {
    // Three lines of 42 characters, the most milepost-pack lets through.
    const std::string cue = "Someone who is not free to leave the truck,\n"
                            "who cannot speak for themselves, or whose\n"
                            "papers are held by another: call the line.";
    for (Size panel : {Size{1280, 720}, Size{1920, 1080}, Size{3840, 2160}, Size{1024, 600}}) {
        for (int rotation : {0, 90, 180, 270}) {
            const Size canvas = canvas_for(panel, rotation);
            CAPTURE(canvas.width);
            CAPTURE(canvas.height);
            for (BannerPosition pos : {BannerPosition::Bottom, BannerPosition::Top}) {
                BannerLayout banner = layout_banner(fonts(), us_banner(), true, canvas, pos);
                const Rect picture = content_area(canvas, banner);
                CaptionLayout c = layout_caption(fonts(), cue, canvas, picture);
                const int sx = static_cast<int>(std::lround(0.05 * canvas.width));
                const int sy = static_cast<int>(std::lround(0.05 * canvas.height));
                const Rect safe{sx, sy, canvas.width - 2 * sx, canvas.height - 2 * sy};
                CHECK(safe.contains(c.box));
                CHECK(picture.contains(c.box)); // never over the banner
                // Centred, at the bottom of the picture area (just above a bottom
                // banner; at the safe area's edge under a top one).
                CHECK(std::abs((c.box.x + c.box.w / 2) - canvas.width / 2) <= 1);
                const int bottom =
                    std::min(picture.y + picture.h - text_basis(canvas) / 100, canvas.height - sy);
                CHECK(c.box.y + c.box.h == bottom);
                REQUIRE(!c.lines.empty());
                CHECK(c.lines.size() <= 3);
                for (const TextLine& l : c.lines) {
                    CHECK(l.box.h >= std::ceil(kCaptionTextFraction * text_basis(canvas)));
                    CHECK(c.box.contains(l.box));
                }
            }
        }
    }
}

TEST_CASE("the fonts open from any folder that has them, measure the same, and a folder "
          "without them is named") {
    test::TempDir dir;
    for (const char* name : {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"})
        std::filesystem::copy_file(std::string(Fonts::kDefaultDir) + "/" + name, dir / name);
    auto copied = Fonts::open(dir.path().string());
    REQUIRE_MESSAGE(copied.ok(), (copied.ok() ? "" : copied.error().message));
    for (int px : {12, 48, 130})
        for (Face face : {Face::Regular, Face::Bold}) {
            CHECK(copied->width(face, px, "Call 1-888-373-7888") ==
                  fonts().width(face, px, "Call 1-888-373-7888"));
            CHECK(copied->line_height(face, px) == fonts().line_height(face, px));
        }
    // Both files are mapped into memory, not read through a stream at every glyph,
    // and the fonts read from their mapping after a file is deleted.
    const std::string maps = test::read_file("/proc/self/maps");
    for (const char* name : {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"})
        CHECK_MESSAGE(maps.find((dir / name).string()) != std::string::npos, name);
    std::filesystem::remove(dir / "DejaVuSans.ttf");
    CHECK(copied->width(Face::Regular, 77, "Hotline") ==
          fonts().width(Face::Regular, 77, "Hotline"));

    test::TempDir empty;
    auto missing = Fonts::open(empty.path().string());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find(empty.path().string() + "/DejaVuSans.ttf") !=
          std::string::npos);
    CHECK(missing.error().message.find("install fonts-dejavu-core") != std::string::npos);
}
