#include "Playback.hpp"

#include "core/Log.hpp"
#include "milepost/Version.hpp"

#include <algorithm>
#include <utility>

namespace milepost {

namespace {
// A showing that ends more than this before its plan entry: the screen is ahead.
constexpr auto kStep = std::chrono::milliseconds(20);
// How long after an item starts the next one is prepared.
constexpr auto kPrepareAfter = std::chrono::milliseconds(250);

// The data dir, made when missing: the play log lives there (the screen plays without).
std::filesystem::path made(const std::string& data_dir) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    return data_dir;
}
} // namespace

Playback::Playback(Parts parts, Channel channel)
    : m_options(parts.options), m_config(parts.config), m_output(parts.output),
      m_audio(parts.audio), m_presenter(parts.presenter), m_captions(parts.captions),
      m_trace(parts.trace), m_started(parts.started), m_clock_anchor(parts.started),
      m_channel(std::move(channel)),
      m_loader(std::filesystem::path(m_options.data_dir) / "failed-objects", kVersion,
               m_options.hwdec, m_audio != nullptr, m_config),
      m_proof(made(m_options.data_dir), m_options.clock_start.has_value()) {
    if (auto zone = Zone::locate(m_config.device.timezone))
        m_zone = *zone;
    else
        log::error(zone.error().message + "; scheduling in UTC");
    exclude_failed_before(m_channel, m_started);
    m_planner.emplace(make_planner(m_channel, wall_now(m_started)));
    m_item_end = m_started; // the first item starts at once
}

void Playback::covered(const char* why) {
    if ((m_current.item || m_current_alert) && m_interrupt_reason.empty())
        m_interrupt_reason = why;
}

void Playback::screen_off(Clock::time_point now) {
    if (m_current.item || m_current_alert)
        m_interrupt_reason = "the screen's power schedule turned it off";
    end_item(now, "screen off");
    m_loader.dispose(std::move(m_ended_video));
    m_loader.dispose(std::move(m_next.video));
    m_next = {};
    m_showing_valid = false;
    m_cut_by_alert.reset();
    m_in_fallback = false;
    m_item_end = Clock::time_point::max();
}

void Playback::stop(Clock::time_point now) {
    end_item(now, "stopped");
    m_loader.dispose(std::move(m_ended_video));
    m_loader.stopped_cleanly();
}

// The last item's decoder (end_item) and its last frame are let go once this item's
// first is up: let go as that frame was composed, their teardown (on a thread of
// its own) took a core from it and made it 2-3 ms late. The first video after
// start-up waited for its first frame (on --clock-start's clock): that clock waits
// with it, so that the plan runs on from when the frame was on screen.
void Playback::presented(Clock::time_point shown) {
    if (m_current.video && m_presenter.first_frame_shown(shown, m_item_end))
        m_clock_anchor += m_presenter.held();
    m_loader.dispose(m_presenter.take_retired());
    // The video decodes ahead from its first frame's present: not from the boundary
    // or when that frame was taken, where the core its decoding takes made the
    // frame late (a scheduler's slice, 3-4 ms, on two cores). And once the last
    // video's decoder is gone: the new one's pictures beside the old one's were the
    // player's peak of memory (+10 MB at 1080p).
    const bool first = m_current.video && m_presenter.frames_presented() == 1;
    m_loader.dispose(std::move(m_ended_video),
                     first ? m_current.video->decode_ahead_task() : nullptr);
}

long Playback::frames_dropped_last_hour(Clock::time_point now) {
    return m_proof.dropped_last_hour(now) + (m_current.video ? m_presenter.frames_dropped() : 0);
}

Clock::time_point Playback::next_deadline(Clock::time_point now) const {
    Clock::time_point deadline =
        m_item_end == Clock::time_point::max() ? m_item_end : m_item_end - boundary_lead();
    if (m_current.video)
        deadline = std::min(deadline, m_presenter.next_deadline(now, *m_current.video));
    if (!m_next.item)
        deadline = std::min(deadline, m_prepare_at);
    return deadline;
}

// A newer version was read: it plays from the next item boundary, and an alert it
// brought at once.
void Playback::take_new_version(Clock::time_point now, Channel loaded) {
    // What was prepared to come next is from an older version: prepare again.
    if (m_next.item) {
        m_loader.dispose(std::move(m_next.video));
        m_next = {};
        m_prepare_at = now;
    }
    m_pending_channel = std::make_unique<Channel>(std::move(loaded));
    m_pending_planner.emplace(make_planner(*m_pending_channel, wall_now(now)));
    log::info("channel \"" + m_pending_channel->name + "\" sequence " +
              std::to_string(m_pending_channel->sequence) + " is ready (" +
              std::to_string(m_pending_channel->items.size()) +
              " items); it starts at the next item");
    if (!m_current.item && !m_current_alert)
        m_item_end = now; // the fallback slide gives way at once
    // An alert the update brought is shown at once, cutting short what plays.
    for (const Alert* a : m_pending_planner->alerts_in_force(wall_now(now))) {
        const bool known = std::any_of(m_channel.alerts.begin(), m_channel.alerts.end(),
                                       [&](const Alert& old) { return old.id == a->id; });
        if (known)
            continue;
        log::info("alert \"" + a->id + "\" arrived: shown at once");
        m_alert_now = a->id;
        if (m_current.item)
            m_interrupt_reason = "cut short by alert \"" + a->id + "\"";
        m_item_end = now;
        break;
    }
}

// Takes a newer channel version at an item boundary.
bool Playback::switch_channel() {
    if (!m_pending_channel)
        return false;
    // What is on screen, and what an alert on screen cut, as items of the new version
    // (if they are still there): not shown again at once.
    const std::string shown = m_showing_valid && m_showing.item ? m_showing.item->id : "";
    const std::string cut = m_cut_by_alert && m_cut_by_alert->item ? m_cut_by_alert->item->id : "";
    m_channel = std::move(*m_pending_channel);
    m_showing.item = item_by_id(shown);
    m_showing.alert = nullptr;
    if (m_cut_by_alert) {
        m_cut_by_alert->item = item_by_id(cut);
        if (!m_cut_by_alert->item && !m_cut_by_alert->waits)
            m_cut_by_alert.reset();
    }
    m_pending_channel.reset();
    m_pending_planner.reset();
    m_excluded.clear();
    exclude_failed_before(m_channel, Clock::now());
    // Made again: the planner points at the Channel object, which has moved.
    m_planner.emplace(make_planner(m_channel, wall_now(Clock::now())));
    m_walking = false;
    m_channel_switched = true; // its hotline may have changed
    log::info("now playing channel \"" + m_channel.name + "\" sequence " +
              std::to_string(m_channel.sequence));
    return true;
}

void Playback::item_failed(Clock::time_point now, const PreparedItem& p, const std::string& why,
                           bool leave_out) {
    const Item& item = *p.item;
    log::error("item \"" + item.id + "\": " + why + "; skipped, and " +
               (leave_out ? "left out of the plan for an hour" : "tried again at its next turn"));
    if (leave_out)
        left_out(now, p, why);
    m_trace.event(since_start(now), "error", item.id, std::nullopt, why);
    if (p.item == m_current.item) {
        // On screen: its row ends as failed when the item ends, at once.
        m_proof.failed(why);
    } else {
        PlayStart start = play_start(item.id, item.media.object, wall_now(now));
        if (!item.lang.empty())
            start.lang = item.lang; // not the language of what is on screen
        m_proof.failed_unshown(start, why);
    }
}

PlayStart Playback::play_start(const std::string& id, const std::string& object, WallTime at,
                               std::string captions) const {
    return PlayStart{id, object, m_channel.name, m_channel.sequence, at, false, m_lang, captions};
}

void Playback::end_item(Clock::time_point now, std::string_view detail) {
    const Item* item = m_current.item;
    const std::string* id = item ? &item->id : m_current_alert ? &m_current_alert->id : nullptr;
    if (id) {
        std::string d(detail);
        if (item && item->type == ItemType::Video) {
            d = "frames=" + std::to_string(m_presenter.frames_presented()) +
                " dropped=" + std::to_string(m_presenter.frames_dropped()) +
                (d.empty() ? "" : " " + d);
            log::info("item \"" + item->id + "\": " + d);
            m_proof.dropped(now, m_presenter.frames_dropped());
        }
        m_trace.event(since_start(now), "item_end", *id, std::nullopt, d);
        m_proof.ended(now, wall_now(now), m_interrupt_reason, detail == "stopped");
    }
    m_interrupt_reason.clear();
    m_current_alert = nullptr;
    if (m_audio)
        m_audio->clear();
    // Closed once the next item is up (presented()): tearing a decoder down (its
    // threads joined, its pictures unmapped) beside the boundary made the next
    // item's first frame late.
    m_loader.dispose(std::move(m_ended_video));
    m_ended_video = std::move(m_current.video);
    m_current = {};
    m_captions.stop();
}

void Playback::start_fallback(std::string_view why) {
    if (!m_in_fallback)
        log::warn(std::string("showing the fallback slide: ") + std::string(why));
    show_fallback();
}

void Playback::show_fallback() {
    m_in_fallback = true;
    m_lang = m_config.device.languages.front();
    m_dirty = true;
}

// Ahead of the plan after a walk: the fallback slide (the hotline) until the plan
// is back with this screen. Not the warning of a fallback with nothing to play.
void Playback::wait_for_plan(const Showing& s) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(s.end - s.start);
    log::info("the fallback slide for " + std::to_string(ms.count()) +
              " ms, until the plan is back in step with this screen (ahead of it after an "
              "item was left out or ended early)");
    show_fallback();
}

void Playback::show_alert(Clock::time_point now, const Alert& alert, WallTime at) {
    m_current_alert = &alert;
    m_lang = m_config.device.languages.front();
    log::info("alert \"" + alert.id + "\" on screen");
    m_trace.event(since_start(now), "item_start", alert.id);
    m_proof.started(now, play_start(alert.id, "", at));
    m_dirty = true;
}

// At an item boundary: what the plan shows now goes on screen. On time (the wall
// clock agrees with the monotonic one within kOnTime), the next thing starts where
// the last ended; after a clock jump, the plan is joined at the new time. Either
// way the item's end comes from the plan, on the monotonic clock until the next
// boundary: a clock that jumps mid-item does not touch the pacing.
void Playback::advance(Clock::time_point now) {
    if (m_showing_valid && m_showing.cut && m_interrupt_reason.empty() &&
        !(m_current.video && m_current.video->state() == VideoSource::State::Ended))
        m_interrupt_reason = "cut short by an alert";
    if (m_current.video)
        m_presenter.finish(m_item_end, *m_current.video);
    end_item(now);
    const bool switched = switch_channel();
    const WallTime w = wall_now(now);
    renew_planner(now, w);
    const bool on_time = m_showing_valid && std::chrono::abs(w - m_showing.end) < kOnTime;
    const WallTime t = on_time ? m_showing.end : w;

    const Ended ended{std::exchange(m_failed, false), clock_jumped(now), switched};
    Showing s = or_walk_on(showing_due(t), w, ended);
    m_first_showing = !m_showing_valid;
    take_item(now, s, w);
    m_loader.dispose(std::move(m_next.video));
    m_next = {};
    remember_alert_cut(s, w, ended);
    m_showing = s;
    m_showing_valid = true;
    // Ahead of the plan while what is on screen ends before its entry does.
    m_walking = !s.alert && !s.cut && s.end + kStep < s.entry_end;
    m_item_end = now + std::max<Clock::duration>(Clock::duration::zero(), s.end - wall_clock(now));

    if (s.alert) {
        m_in_fallback = false;
        show_alert(now, *s.alert, w);
    } else if (s.waits) {
        wait_for_plan(s);
    } else if (!m_current.item) {
        start_fallback(m_planner->empty()
                           ? "nothing in the channel plays in this device's languages and region"
                           : "no item's schedule lets one play now");
    } else {
        start_item(now, s, w);
    }
    write_player_status(now);
    // The next item is prepared a moment after this one is on screen: opening a
    // file costs a burst of CPU that must not delay this item's first frame.
    m_prepare_at = now + std::min<Clock::duration>(kPrepareAfter, (m_item_end - now) / 2);
}

// The item `s` shows becomes m_current, prepared ahead or now. Each item gets one
// try; one that cannot be shown is left out, and the screen walks on to the plan's
// next item from `w` (`s` changes).
void Playback::take_item(Clock::time_point now, Showing& s, WallTime w) {
    for (size_t tries = 0; s.item && !m_current.item && tries <= m_channel.items.size(); ++tries) {
        PreparedItem candidate;
        if (m_next.item && m_next_showing.same_as(s) && m_next_showing.offset == s.offset) {
            candidate = std::move(m_next);
        } else {
            m_loader.dispose(std::move(m_next.video));
            // Joined part way: frames decoded too late for their time are not shown.
            std::optional<Clock::time_point> due;
            if (s.offset.count() > 0 && !waits_for_first_frame())
                due = on_time(now, s.start);
            candidate = m_loader.prepare(*s.item, m_channel.sequence, s.offset, due);
        }
        m_next = {};
        if (candidate.error.empty())
            m_loader.finish(candidate, m_output.renderer());
        if (candidate.error.empty() && candidate.video &&
            candidate.video->state() == VideoSource::State::Failed)
            candidate.error = candidate.video->error();
        if (!candidate.error.empty()) {
            item_failed(now, candidate, candidate.error);
            m_loader.dispose(std::move(candidate.video));
            s = m_planner->walk_on(s.entry_end, just_shown(), w);
            continue;
        }
        m_current = std::move(candidate);
    }
}

WallTime Playback::shown_from(const Showing& s) {
    const bool early = s.offset.count() == 0 && s.end == s.entry_end && s.entry_start > s.start &&
                       s.entry_start - s.start <= kMinJoin;
    return early ? s.entry_start : s.start; // walked on ahead of the plan: now
}

Clock::time_point Playback::on_time(Clock::time_point now, WallTime at) const {
    return now - std::clamp<Clock::duration>(wall_clock(now) - at, -kOnTime, kOnTime);
}

// The item in m_current goes on screen, as `s` shows it.
void Playback::start_item(Clock::time_point now, const Showing& s, WallTime w) {
    m_in_fallback = false;
    const Item& item = *m_current.item;
    m_lang = s.lang;
    m_trace.event(since_start(now), "item_start", item.id, std::nullopt,
                  s.offset.count() ? "joined at " + std::to_string(s.offset.count()) + " ms"
                                   : std::string());
    m_proof.started(now, play_start(item.id, item.media.object, w,
                                    m_captions.start(item, std::move(m_current.captions), s.turn)));
    m_proof.note(m_current.caption_error);
    if (item.type == ItemType::Video) {
        // Decodes ahead from its first frame (pump_video). Ends at the plan's time,
        // or when its last frame has had its time.
        const WallTime from = shown_from(s);
        std::optional<Clock::duration> whole_length;
        if (s.offset.count() == 0 && !s.cut)
            whole_length = s.end - from;
        m_presenter.start(now, on_time(now, from), m_current.start_at, whole_length, m_item_end,
                          waits_for_first_frame());
    } else {
        m_dirty = true;
    }
}

void Playback::pump_video(Clock::time_point now) {
    if (!m_current.video)
        return;
    switch (const auto step =
                m_presenter.pump(now, *m_current.video, *m_current.item, m_item_end)) {
    case VideoPresenter::Step::Waiting:
        break;
    case VideoPresenter::Step::FirstFrame:
        m_loader.shown(*m_current.item);
        [[fallthrough]];
    case VideoPresenter::Step::Frame:
        m_dirty = true;
        break;
    case VideoPresenter::Step::Stalled:
    case VideoPresenter::Step::Failed:
        if (step == VideoPresenter::Step::Stalled)
            item_stalled(now, m_presenter.why());
        else
            item_failed(now, m_current, m_presenter.why());
        m_item_end = now;
        m_failed = true;
        break;
    }
}

void Playback::hold_recorder(bool hold) {
    if (PlayRecorder* recorder = m_proof.recorder())
        hold ? recorder->hold_wakes() : recorder->release_wakes();
}

// What the player tells milepost-sync for the status: the item on screen and the frames
// dropped in the last hour. Written at each item start, by the recorder's thread.
void Playback::write_player_status(Clock::time_point now) {
    const std::string current = m_current.item    ? m_current.item->id
                                : m_current_alert ? m_current_alert->id
                                                  : std::string();
    m_proof.publish_status(now, wall_now(now), current, m_channel.name, m_channel.sequence);
}

} // namespace milepost
