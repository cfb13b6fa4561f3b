#include "Preview.hpp"

#include "core/Files.hpp"
#include "core/Hotline.hpp"
#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "core/Schedule.hpp"
#include "media/Captions.hpp"
#include "media/Probe.hpp"
#include "media/VideoSource.hpp"
#include "render/CaptionBox.hpp"
#include "render/Painter.hpp"
#include "render/PictureFile.hpp"
#include "render/VideoTexture.hpp"

#include <SDL_image.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

namespace milepost {

namespace fs = std::filesystem;

namespace {

constexpr int kColumns = 4;
constexpr int kThumbWidth = 480;
constexpr int kPad = 24;
constexpr int kLabelPx = 20;

const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::string two(int v) {
    return (v < 10 ? "0" : "") + std::to_string(v);
}

std::string schedule_summary(const Schedule& s) {
    std::string out;
    auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
    if (!s.days.empty()) {
        std::string days;
        for (auto d : s.days)
            days += (days.empty() ? "" : " ") + std::string(kDayNames[d.c_encoding()]);
        add(days);
    }
    if (s.from || s.until)
        add((s.from ? two(s.from->minutes / 60) + ":" + two(s.from->minutes % 60) : "") + "-" +
            (s.until ? two(s.until->minutes / 60) + ":" + two(s.until->minutes % 60) : ""));
    if (s.start_date || s.end_date)
        add("dated");
    if (!s.regions.empty()) {
        std::string r;
        for (const auto& x : s.regions)
            r += (r.empty() ? "" : " ") + x;
        add(r);
    }
    if (s.weight != 1)
        add("weight " + std::to_string(s.weight));
    return out.empty() ? "always" : out;
}

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, s == static_cast<int>(s) ? "%.0f s" : "%.1f s", s);
    return buf;
}

// Draws the first frame of a video (at `at` seconds or after) into the current
// target, as the player does.
Result<void> draw_first_frame(SDL_Renderer* r, Painter& painter, const fs::path& file, Rect whole,
                              double at = 0) {
    VideoStart how; // software, once, silent
    how.start_at = at;
    auto source = VideoSource::start(file, std::move(how));
    for (int i = 0; i < 500; ++i) {
        if (source->frames().size() > 0 || source->state() == VideoSource::State::Failed ||
            source->state() == VideoSource::State::Ended)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto frame = source->frames().try_pop();
    if (!frame)
        return Error{source->error().empty() ? "no picture" : source->error()};
    VideoTexture texture;
    if (auto up = texture.upload(r, frame->frame.get()); !up)
        return up;
    VideoInfo info = source->info();
    Size display{texture.width() * info.sample_aspect.num / info.sample_aspect.den,
                 texture.height()};
    painter.fill(whole, palette::kLetterbox);
    painter.picture_fit(texture.texture(), display, info.rotation, whole);
    return {};
}

// A video's tile: its first frame with the banner over it, as the player shows it;
// with `caption_lang`, the frame its first cue starts on, the cue drawn. Returns
// why it cannot be shown, or "".
std::string draw_video(SDL_Renderer* r, Painter& painter, const Item& item,
                       const std::string& caption_lang, const Frame& frame, Size size) {
    std::string problem;
    std::optional<Cue> cue;
    if (!caption_lang.empty()) {
        if (auto cues = read_caption_file(caption_in(item, caption_lang)->file); !cues)
            problem = cues.error().message;
        else
            cue = cues->front();
    }
    const Rect whole{0, 0, size.width, size.height};
    if (auto drawn = draw_first_frame(r, painter, item.file, whole, cue ? cue->start : 0); !drawn)
        problem = drawn.error().message;
    auto banner =
        render_banner(r, painter.fonts(), frame.banner, frame.qr, size, BannerPosition::Bottom);
    if (!banner)
        return problem;
    SDL_Rect box = banner->box.sdl();
    SDL_RenderCopy(r, banner->texture.get(), nullptr, &box);
    if (cue)
        if (auto c = render_caption(r, painter.fonts(), cue->text, size,
                                    content_area(size, banner->box))) {
            SDL_Rect at = c->box.sdl();
            SDL_RenderCopy(r, c->texture.get(), nullptr, &at);
        }
    return problem;
}

// One picture of the sheet: an item, or a captioned video in one caption language.
struct Tile {
    const Item* item;
    std::string caption_lang; // "" = the item as it is
};

std::string option_or(const std::map<std::string, std::string>& options, const char* key,
                      const std::string& fallback) {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
}

// A colour per item, far apart for neighbours in the channel: hues by the golden angle.
SDL_Color item_colour(size_t index) {
    const double h = std::fmod(static_cast<double>(index) * 137.508, 360.0) / 60.0;
    const double s = 0.65, v = index % 2 ? 0.80 : 0.95;
    const double c = v * s, x = c * (1 - std::fabs(std::fmod(h, 2.0) - 1)), m = v - c;
    double r = 0, g = 0, b = 0;
    switch (static_cast<int>(h)) {
    case 0:
        r = c, g = x;
        break;
    case 1:
        r = x, g = c;
        break;
    case 2:
        g = c, b = x;
        break;
    case 3:
        g = x, b = c;
        break;
    case 4:
        r = x, b = c;
        break;
    default:
        r = c, b = x;
        break;
    }
    auto u = [&](double d) { return static_cast<Uint8>(std::lround((d + m) * 255)); };
    return SDL_Color{u(r), u(g), u(b), 255};
}

constexpr SDL_Color kAlertColour{200, 16, 24, 255};
constexpr SDL_Color kFallbackColour{90, 90, 90, 255};
constexpr SDL_Color kSheetColour{40, 40, 40, 255};

// One day as a screen plays it: a strip per local hour, coloured by what is on.
int plan_day_picture(Channel& channel, const std::map<std::string, std::string>& options,
                     Fonts& fonts) {
    auto opt = [&](const char* k, const std::string& fallback) {
        return option_or(options, k, fallback);
    };
    const auto date = parse_date(options.at("plan-day"));
    if (!date) {
        log::error("--plan-day: expected a date such as 2026-12-01, got \"" +
                   options.at("plan-day") + "\"");
        return 2;
    }
    auto zone = Zone::locate(opt("timezone", "UTC"));
    if (!zone) {
        log::error("--timezone: " + zone.error().message);
        return 2;
    }
    PlanSettings settings;
    settings.region = opt("region", "US");
    settings.languages.clear();
    std::string langs = opt("lang", "en");
    for (size_t at = 0; at <= langs.size();) {
        size_t comma = std::min(langs.find(',', at), langs.size());
        if (comma > at)
            settings.languages.push_back(langs.substr(at, comma - at));
        at = comma + 1;
    }
    settings.zone = *zone;
    // A channel source names its videos' files: their lengths come from the files.
    for (Item& item : channel.items)
        if (item.type == ItemType::Video && item.media.duration <= 0 && !item.duration &&
            fs::is_regular_file(item.file))
            if (auto facts = probe_media(item.file, false))
                item.media.duration = facts->duration;
    Planner planner(channel, settings);

    constexpr int kLeft = 110, kStrip = 1440, kRow = 30, kGap = 6, kTop = 70, kRight = 30;
    std::map<std::string, SDL_Color> colours;
    for (size_t i = 0; i < channel.items.size(); ++i)
        colours[channel.items[i].id] = item_colour(i);
    const int legend_rows =
        static_cast<int>((channel.items.size() + channel.alerts.size() + 2) / 3);
    const int width = kLeft + kStrip + kRight;
    const int height = kTop + 24 * (kRow + kGap) + 20 + legend_rows * 34 + 20;
    SurfacePtr sheet(
        SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_ARGB8888));
    RendererPtr renderer(sheet ? SDL_CreateSoftwareRenderer(sheet.get()) : nullptr);
    if (!renderer) {
        log::error(std::string("cannot draw: ") + SDL_GetError());
        return 1;
    }
    Painter painter(renderer.get(), fonts);
    painter.fill({0, 0, width, height}, kSheetColour);
    const SDL_Color white{255, 255, 255, 255};
    painter.text({channel.name + "  " + options.at("plan-day") + "  region " + settings.region +
                      "  " + langs + "  " + zone->name(),
                  Face::Bold,
                  28,
                  TextRole::Body,
                  {kLeft, 18, 0, 0}},
                 white);
    std::set<std::string> shown;
    const auto day = std::chrono::local_days{*date};
    constexpr auto kStep = std::chrono::milliseconds(3600 * 1000 / kStrip); // 2.5 s a pixel
    for (int hour = 0; hour < 24; ++hour) {
        const int y = kTop + hour * (kRow + kGap);
        painter.text({two(hour) + ":00", Face::Regular, 22, TextRole::Body, {16, y + 2, 0, 0}},
                     white);
        const WallTime from = zone->to_wall(day, std::chrono::hours(hour));
        for (int x = 0; x < kStrip; ++x) {
            const Showing s = planner.showing_at(from + x * kStep);
            SDL_Color c = kFallbackColour;
            if (s.alert) {
                c = kAlertColour;
                shown.insert("alert " + s.alert->id);
            } else if (s.item) {
                c = colours[s.item->id];
                shown.insert(s.item->id);
            }
            painter.fill({kLeft + x, y, 1, kRow}, c);
        }
    }
    int k = 0;
    const int legend_top = kTop + 24 * (kRow + kGap) + 20;
    auto legend = [&](const std::string& label, SDL_Color c) {
        const int x = kLeft + (k % 3) * (kStrip / 3), y = legend_top + (k / 3) * 34;
        painter.fill({x, y + 4, 22, 22}, c);
        painter.text({label, Face::Regular, 22, TextRole::Body, {x + 32, y, 0, 0}}, white);
        ++k;
    };
    for (const Item& item : channel.items)
        if (shown.count(item.id))
            legend(item.id, colours[item.id]);
    for (const Alert& a : channel.alerts)
        if (shown.count("alert " + a.id))
            legend("alert " + a.id, kAlertColour);
    SDL_RenderPresent(renderer.get());
    const std::string out = options.at("out");
    if (IMG_SavePNG(sheet.get(), out.c_str()) != 0) {
        log::error(out + ": cannot write: " + IMG_GetError());
        return 1;
    }
    std::printf("%s: the plan of %s, %zu items shown, %dx%d\n", out.c_str(),
                options.at("plan-day").c_str(), shown.size(), width, height);
    return 0;
}

} // namespace

int preview(const std::vector<std::string>& positional,
            const std::map<std::string, std::string>& options) {
    auto opt = [&](const char* k, const std::string& fallback) {
        return option_or(options, k, fallback);
    };
    if (positional.size() != 1 || !options.count("out")) {
        log::error("preview: SOURCE.toml or SITE, and --out SHEET.png are required (see --help)");
        return 2;
    }
    auto size = parse_size(opt("size", "1920x1080"));
    if (!size) {
        log::error("--size: expected WIDTHxHEIGHT such as 1920x1080");
        return 2;
    }
    const std::string region = opt("region", "US"), only_lang = opt("lang", "");
    Channel channel;
    try {
        const fs::path in = positional[0];
        if (fs::is_directory(in)) {
            if (!options.count("channel")) {
                log::error("preview: a SITE needs --channel NAME");
                return 2;
            }
            const fs::path manifest = in / "channels" / options.at("channel") / "manifest.json";
            auto text = read_file(manifest, kMaxManifestBytes);
            if (!text) {
                log::error(text.error().message);
                return 2;
            }
            channel = parse_manifest(*text, in / "objects", manifest.string());
        } else {
            std::vector<std::string> warnings;
            channel = load_channel_source(in, warnings);
        }
    } catch (const ConfigError& e) {
        log::error(e.message);
        return 2;
    }
    if (options.count("plan-day")) {
        if (SDL_Init(SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
            log::error(std::string("cannot start SDL: ") + SDL_GetError());
            return 1;
        }
        auto fonts = Fonts::open();
        if (!fonts) {
            log::error(fonts.error().message);
            return 1;
        }
        return plan_day_picture(channel, options, *fonts);
    }
    // A tile per item, and per captioned video one more per caption language: its
    // first cue drawn over the frame it starts on.
    std::vector<Tile> items;
    for (const Item& item : channel.items)
        if (only_lang.empty() || item.lang.empty() || item.lang == only_lang) {
            items.push_back({&item, {}});
            for (const CaptionFile& c : item.captions)
                if (only_lang.empty() || c.lang == only_lang)
                    items.push_back({&item, c.lang});
        }
    if (items.empty()) {
        log::error("preview: no item to show");
        return 1;
    }

    if (SDL_Init(SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
        log::error(std::string("cannot start SDL: ") + SDL_GetError());
        return 1;
    }
    auto fonts = Fonts::open();
    if (!fonts) {
        log::error(fonts.error().message);
        return 1;
    }
    const int thumb_h = kThumbWidth * size->height / size->width;
    const int label_h = 2 * (kLabelPx + 8);
    const int rows = static_cast<int>((items.size() + kColumns - 1) / kColumns);
    const int sheet_w = kColumns * (kThumbWidth + kPad) + kPad;
    const int sheet_h = rows * (thumb_h + label_h + kPad) + kPad;
    SurfacePtr sheet(
        SDL_CreateRGBSurfaceWithFormat(0, sheet_w, sheet_h, 32, SDL_PIXELFORMAT_ARGB8888));
    RendererPtr renderer(sheet ? SDL_CreateSoftwareRenderer(sheet.get()) : nullptr);
    if (!renderer) {
        log::error(std::string("cannot draw: ") + SDL_GetError());
        return 1;
    }
    SDL_Renderer* r = renderer.get();
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    Painter painter(r, *fonts);
    painter.fill({0, 0, sheet_w, sheet_h}, SDL_Color{40, 40, 40, 255});
    TexturePtr canvas(SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET,
                                        size->width, size->height));
    std::optional<QrCode> qr;
    int faults = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        const Item& item = *items[i].item;
        const std::string& caption_lang = items[i].caption_lang;
        const std::string lang = !caption_lang.empty() ? caption_lang
                                 : item.lang.empty()   ? (only_lang.empty() ? "en" : only_lang)
                                                       : item.lang;
        const Hotline* hotline = find_hotline(channel.hotlines, region, lang);
        if (!hotline) {
            log::error("no hotline in the channel for region " + region);
            return 1;
        }
        if (!hotline->url.empty())
            if (auto q = make_qr_code(hotline->url))
                qr = std::move(*q);
        Frame frame;
        frame.banner = banner_text(*hotline, lang);
        frame.qr = hotline->url.empty() || !qr ? nullptr : &*qr;
        SDL_SetRenderTarget(r, canvas.get());
        std::string problem;
        if (item.type == ItemType::Slide) {
            frame.body = SlideBody{item.title, item.bullets};
            compose(painter, *size, frame);
        } else if (item.type == ItemType::Image) {
            // As the player loads it: checked by its header's size, decoded as its type.
            TexturePtr image;
            if (auto surface = load_picture(item.file, item.media.codec); !surface)
                problem = surface.error().message;
            else if (image.reset(SDL_CreateTextureFromSurface(r, surface->get())); !image)
                problem = SDL_GetError();
            frame.body = ImageBody{image.get()};
            compose(painter, *size, frame);
        } else {
            problem = draw_video(r, painter, item, caption_lang, frame, *size);
        }
        SDL_SetRenderTarget(r, nullptr);
        const int col = static_cast<int>(i % kColumns), row = static_cast<int>(i / kColumns);
        const int x = kPad + col * (kThumbWidth + kPad),
                  y = kPad + row * (thumb_h + label_h + kPad);
        SDL_Rect dst{x, y, kThumbWidth, thumb_h};
        SDL_RenderCopy(r, canvas.get(), nullptr, &dst);
        double duration = item.duration.value_or(
            item.type == ItemType::Video ? item.media.duration : kDefaultStillSeconds);
        std::string line1 = item.id + "  " + (item.lang.empty() ? "all" : item.lang) + "  " +
                            std::string(to_string(item.type)) +
                            (duration > 0 ? "  " + seconds_text(duration) : "") +
                            (caption_lang.empty() ? "" : "  captions " + caption_lang);
        std::string line2 =
            problem.empty() ? schedule_summary(item.schedule) : "CANNOT SHOW: " + problem;
        if (!problem.empty()) {
            log::error("item \"" + item.id + "\": " + problem);
            ++faults;
        }
        painter.text({line1, Face::Bold, kLabelPx, TextRole::Body, {x, y + thumb_h + 6, 0, 0}},
                     SDL_Color{255, 255, 255, 255});
        painter.text({line2,
                      Face::Regular,
                      kLabelPx,
                      TextRole::Body,
                      {x, y + thumb_h + 8 + kLabelPx + 6, 0, 0}},
                     problem.empty() ? SDL_Color{200, 200, 200, 255} : SDL_Color{255, 96, 96, 255});
    }
    SDL_RenderPresent(r);
    const std::string out = options.at("out");
    if (IMG_SavePNG(sheet.get(), out.c_str()) != 0) {
        log::error(out + ": cannot write: " + IMG_GetError());
        return 1;
    }
    std::printf("%s: %zu pictures, %dx%d\n", out.c_str(), items.size(), sheet_w, sheet_h);
    return faults ? 1 : 0;
}

} // namespace milepost
