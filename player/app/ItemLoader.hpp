#pragma once
// Makes an item ready to go on screen, off the render thread where it can, and
// remembers what failed (DATA_DIR/failed-objects, see FailedObjects.hpp).
#include "FailedObjects.hpp"
#include "core/Captions.hpp"
#include "core/Channel.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Result.hpp"
#include "core/ThreadPriority.hpp"
#include "media/VideoSource.hpp"
#include "render/SdlHandles.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace milepost {

// A video's captions in one language, read from its caption object.
struct CaptionTrack {
    std::string lang;
    std::vector<Cue> cues;
};
// A video's captions as read on a thread: the tracks, and what could not be read.
struct CaptionLoad {
    std::vector<CaptionTrack> tracks;
    std::string error; // "captions es: FILE:LINE: why; ..." ("" = all read)
};

// An item made ready to go on screen: its video opened and decoding, or its
// image loaded. Made while the item before it plays, so that items follow each
// other without a gap.
struct PreparedItem {
    const Item* item = nullptr;              // nullptr: nothing prepared
    std::int64_t sequence = 0;               // the sequence of the channel it belongs to
    std::unique_ptr<VideoSource> video;      // video items
    TexturePtr image;                        // image items, once decoded
    std::future<Result<SurfacePtr>> picture; // image items: decoding on a thread of its own
    std::string error;                       // why it cannot be shown ("" = fine)
    double start_at = 0;                     // seconds into the video file it starts at
    std::future<CaptionLoad> caption_load;   // videos: reading on a thread of its own
    std::vector<CaptionTrack> captions;      // videos, once finished: those that could be read
    std::string caption_error; // a caption object that could not: the video plays without it
};

// Called from the render thread only.
class ItemLoader {
public:
    // `failed_objects`: the file failures are kept in ("": none kept); `version`:
    // this player's. `hwdec` and `sound` are VideoSource::start's. `config`: which
    // captions are read (none when off; else the device's languages and English).
    ItemLoader(std::filesystem::path failed_objects, std::string version, std::string hwdec,
               bool sound, const DeviceConfig& config);
    // Pictures still decoding and videos still stopping on their threads get a
    // moment to finish before the libraries go away.
    ~ItemLoader();
    ItemLoader(const ItemLoader&) = delete;
    ItemLoader& operator=(const ItemLoader&) = delete;

    // `item`, of the channel `sequence`, made ready to start `offset` into it: a
    // picture begins decoding on a thread, a video opens on its own threads.
    PreparedItem prepare(const Item& item, std::int64_t sequence, std::chrono::milliseconds offset,
                         std::optional<VideoSource::Clock::time_point> due = std::nullopt);
    // The picture decoded on its thread becomes a texture of `renderer`, and the
    // captions read on theirs are taken. Waits for them when the item was not
    // prepared ahead.
    void finish(PreparedItem& p, SDL_Renderer* renderer);
    // Stops a video's threads without making the screen wait for them: a decoder
    // busy with a large frame, or stuck, must not freeze the loop.
    // With `then`, that runs once its decoder is gone (or kTeardownWait has passed),
    // on that thread: the next video decodes ahead only once the last one's
    // pictures are freed, not beside them.
    void dispose(std::unique_ptr<VideoSource> video, std::function<void()> then = {});
    // The same for a frame whose last reference frees its decoder's pictures.
    void dispose(FramePtr frame);

    // The items of `channel` whose object failed before (in an earlier process
    // too, or stopped it while it was loaded): (item id, why) pairs.
    std::vector<std::pair<std::string, std::string>> failed_before(const Channel& channel) const;
    // `item` is on screen: its object loaded.
    void shown(const Item& item);
    // The prepared item failed, `why`.
    void failed(const PreparedItem& p, const std::string& why);
    // A clean exit: what was being loaded did not kill the player.
    void stopped_cleanly();

private:
    void read_captions(PreparedItem& p);
    void finish_picture(PreparedItem& p, SDL_Renderer* renderer);
    // Runs `fn` on a thread of its own, counted in m_running.
    template <typename Fn> void run_detached(Fn fn) {
        ++*m_running;
        std::thread([fn = std::move(fn), count = m_running]() mutable {
            give_way_to_render("item-loader");
            fn();
            SDL_TLSCleanup(); // SDL's error buffer for this thread (it leaks otherwise)
            --*count;
        }).detach();
    }

    FailedObjects m_failed_objects;
    std::string m_hwdec;
    bool m_sound = false;
    std::vector<std::string> m_caption_langs; // captions read in these (and the item's)
    // Pictures being decoded and videos being stopped on threads of their own
    // (shared with those threads).
    std::shared_ptr<std::atomic<int>> m_running = std::make_shared<std::atomic<int>>(0);
};

} // namespace milepost
