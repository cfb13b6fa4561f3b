#include "ItemLoader.hpp"

#include "core/Log.hpp"
#include "core/MediaLimits.hpp"
#include "media/Captions.hpp"
#include "render/PictureFile.hpp"

#include <algorithm>
#include <cmath>

namespace milepost {

ItemLoader::ItemLoader(std::filesystem::path failed_objects, std::string version, std::string hwdec,
                       bool sound, const DeviceConfig& config)
    : m_failed_objects(std::move(failed_objects), std::move(version)), m_hwdec(std::move(hwdec)),
      m_sound(sound) {
    if (config.display.captions != CaptionMode::Off) {
        m_caption_langs = config.device.languages;
        m_caption_langs.push_back("en");
    }
}

ItemLoader::~ItemLoader() {
    for (int i = 0; i < 250 && m_running->load() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

PreparedItem ItemLoader::prepare(const Item& item, std::int64_t sequence,
                                 std::chrono::milliseconds offset,
                                 std::optional<VideoSource::Clock::time_point> due) {
    PreparedItem p;
    p.item = &item;
    p.sequence = sequence;
    if (item.type == ItemType::Slide)
        return p;
    // The size milepost-pack probed, before the file is opened: a manifest that
    // names a picture or video larger than a screen decodes is not believed.
    const MediaFacts& m = item.media;
    if (m.width > 0 || m.height > 0) {
        const auto problem = item.type == ItemType::Image ? picture_size_problem(m.width, m.height)
                                                          : video_size_problem(m.width, m.height);
        if (problem) {
            p.error = item.file.string() + ": " + *problem;
            return p;
        }
    }
    m_failed_objects.loading(m.object, sequence);
    if (item.type == ItemType::Image) {
        // Decoded on a thread of its own (a 4096-px picture takes a while on a Pi);
        // the texture is made on the render thread when the item goes on screen.
        std::packaged_task<Result<SurfacePtr>()> task(
            [file = item.file, codec = m.codec] { return load_picture(file, codec); });
        p.picture = task.get_future();
        run_detached(std::move(task));
    } else if (item.type == ItemType::Video) {
        // A duration longer than the video loops it; shorter cuts it.
        // Joined part way: a looping item's offset falls inside its video.
        const bool loop = item.duration.has_value();
        double at = std::chrono::duration<double>(offset).count();
        if (loop && item.media.duration > 0)
            at = std::fmod(at, item.media.duration);
        VideoStart how;
        how.hwdec = m_hwdec;
        how.loop = loop;
        how.audio = m_sound;
        how.start_at = at;
        how.due = due;
        p.video = VideoSource::start(item.file, std::move(how));
        p.start_at = at;
        read_captions(p);
    }
    return p;
}

namespace {

// Reads `files` (on a thread of its own). Cues no build would let through (a
// channel source's files are not checked by one) are left out; the rest are put
// in order of start.
CaptionLoad read_caption_files(const std::vector<CaptionFile>& files) {
    CaptionLoad load;
    for (const CaptionFile& c : files) {
        auto cues = read_caption_file(c.file);
        if (!cues) {
            load.error += (load.error.empty() ? "" : "; ") +
                          ("captions " + c.lang + ": " + cues.error().message);
            continue;
        }
        std::erase_if(*cues, [](const Cue& cue) {
            return !(cue.end > cue.start) ||
                   wrap_characters(cue.text, kCaptionLineChars).size() > kCaptionMaxLines;
        });
        std::stable_sort(cues->begin(), cues->end(),
                         [](const Cue& a, const Cue& b) { return a.start < b.start; });
        load.tracks.push_back({c.lang, std::move(*cues)});
    }
    return load;
}

} // namespace

// Only the languages the screen may show are read, on a thread of their own (a
// large file takes a while on a Pi, and the video on screen must not wait).
void ItemLoader::read_captions(PreparedItem& p) {
    if (m_caption_langs.empty())
        return; // [display] captions = "off"
    std::vector<CaptionFile> files;
    for (const CaptionFile& c : p.item->captions)
        if (c.lang == p.item->lang || std::find(m_caption_langs.begin(), m_caption_langs.end(),
                                                c.lang) != m_caption_langs.end())
            files.push_back(c);
    if (files.empty())
        return;
    std::packaged_task<CaptionLoad()> task(
        [files = std::move(files)] { return read_caption_files(files); });
    p.caption_load = task.get_future();
    run_detached(std::move(task));
}

void ItemLoader::finish(PreparedItem& p, SDL_Renderer* renderer) {
    if (p.picture.valid())
        finish_picture(p, renderer);
    if (p.caption_load.valid()) {
        CaptionLoad load = p.caption_load.get();
        p.captions = std::move(load.tracks);
        p.caption_error = std::move(load.error);
        if (!p.caption_error.empty())
            log::warn("item \"" + p.item->id + "\": " + p.caption_error +
                      "; it plays without them");
    }
}

void ItemLoader::finish_picture(PreparedItem& p, SDL_Renderer* renderer) {
    auto surface = p.picture.get();
    if (!surface) {
        p.error = surface.error().message;
        return;
    }
    p.image.reset(SDL_CreateTextureFromSurface(renderer, surface->get()));
    if (!p.image) {
        p.error = p.item->file.string() + ": cannot make a texture of the image: " + SDL_GetError();
        return;
    }
    m_failed_objects.loaded(p.item->media.object);
}

void ItemLoader::dispose(std::unique_ptr<VideoSource> video, std::function<void()> then) {
    if (!video) {
        if (then)
            then();
        return;
    }
    run_detached([v = std::move(video), then = std::move(then)]() mutable {
        if (then) {
            // A decoder stops within a frame's decoding (5 ms at 1080p here); one
            // that is stuck must not hold the next video's second frame back.
            constexpr auto kTeardownWait = std::chrono::milliseconds(10);
            v->stop(kTeardownWait);
            then();
        }
        v.reset();
    });
}

void ItemLoader::dispose(FramePtr frame) {
    if (frame)
        run_detached([f = std::move(frame)]() mutable { f.reset(); });
}

std::vector<std::pair<std::string, std::string>>
ItemLoader::failed_before(const Channel& channel) const {
    std::vector<std::pair<std::string, std::string>> failed;
    for (const Item& item : channel.items)
        if (!item.media.object.empty())
            if (auto why = m_failed_objects.failed(item.media.object, channel.sequence))
                failed.emplace_back(item.id, std::move(*why));
    return failed;
}

void ItemLoader::shown(const Item& item) {
    m_failed_objects.loaded(item.media.object);
}

void ItemLoader::failed(const PreparedItem& p, const std::string& why) {
    m_failed_objects.record(p.item->media.object, p.sequence, why);
}

void ItemLoader::stopped_cleanly() {
    m_failed_objects.drop_marks();
}

} // namespace milepost
