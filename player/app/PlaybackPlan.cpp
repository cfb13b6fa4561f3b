// Playback's side of the plan: the planner it keeps, the items left out on this
// screen, and what comes next (in step, or walking on after a failure).
#include "Playback.hpp"

#include "core/Log.hpp"
#include "service/ClockTrust.hpp"

#include <algorithm>

namespace milepost {

namespace {
// An item that failed is left out of the plan for this long, then tried again.
constexpr auto kExcludedFor = std::chrono::hours(1);
} // namespace

// The plan's next item is opened while this one plays, from the version that will
// be playing by then.
void Playback::prepare_next(Clock::time_point now) {
    if (m_next.item || !m_showing_valid || now < m_prepare_at)
        return;
    m_prepare_at = Clock::time_point::max(); // once per item
    Showing next = m_pending_planner
                       ? m_pending_planner->showing_at(m_showing.end)
                       : or_walk_on(m_planner->showing_at(m_showing.end), m_showing.end, Ended{});
    if (!next.item)
        return;
    m_next_showing = next;
    m_next = m_loader.prepare(*next.item,
                              m_pending_channel ? m_pending_channel->sequence : m_channel.sequence,
                              next.offset);
}

Planner Playback::make_planner(const Channel& channel, WallTime at) const {
    Planner planner(channel, plan_settings(m_config, m_zone, schedule_trusted(at)));
    for (const auto& [id, since] : m_excluded)
        planner.exclude(id);
    return planner;
}

// Time and date conditions are believed only from a clock that is synchronised
// (or set by --clock-start) and not before the year this was built.
bool Playback::schedule_trusted(WallTime at) const {
    return wall_clock_trusted(at, m_options.clock_start.has_value());
}

// Items whose object failed before the player started (or stopped it while it
// was loaded): left out for an hour, as if they had failed now.
void Playback::exclude_failed_before(const Channel& channel, Clock::time_point now) {
    for (const auto& [id, why] : m_loader.failed_before(channel)) {
        if (m_excluded.count(id))
            continue;
        log::warn("item \"" + id + "\": its file failed before (" + why + ", in " +
                  (std::filesystem::path(m_options.data_dir) / "failed-objects").string() +
                  "); left out of the plan for an hour");
        m_excluded[id] = now;
    }
}

// A failed item is left out of the plan here for kExcludedFor, and its object
// remembered (failed-objects) for a restart.
void Playback::left_out(Clock::time_point now, const PreparedItem& p, const std::string& why) {
    m_loader.failed(p, why);
    m_excluded[p.item->id] = now;
    m_planner->exclude(p.item->id);
    if (m_pending_planner)
        m_pending_planner->exclude(p.item->id);
}

// A video that stalled (no picture for 0.75 s) is skipped as a failed one is, but
// may play: a cheap SD card can hold a read up for a second, the file is good. It
// is tried again at its next turn; stalled again within kExcludedFor, it is left out.
void Playback::item_stalled(Clock::time_point now, const std::string& why) {
    const Item& item = *m_current.item;
    const std::string key = item.id + "\n" + item.media.object; // a new file: a new start
    const auto last = m_stalled.find(key);
    const bool again = last != m_stalled.end() && now - last->second <= kExcludedFor;
    if (again)
        m_stalled.erase(last);
    else
        m_stalled[key] = now;
    item_failed(now, m_current, again ? why + ", the second time within the hour" : why, again);
}

// Items left out for over kExcludedFor are tried again, and a wall clock that
// became trusted (or stopped being) changes the plan: the planner is made again.
void Playback::renew_planner(Clock::time_point now, WallTime w) {
    bool forgiven = false;
    for (auto it = m_excluded.begin(); it != m_excluded.end();) {
        if (now - it->second > kExcludedFor) {
            it = m_excluded.erase(it);
            forgiven = true;
        } else {
            ++it;
        }
    }
    if (const bool trusted = schedule_trusted(w);
        forgiven || trusted != m_planner->settings().clock_trusted) {
        if (trusted != m_planner->settings().clock_trusted)
            log::info(trusted ? "the wall clock is trusted now: the full schedule applies"
                              : "the wall clock is not trusted: only items without time or "
                                "date conditions play");
        m_planner.emplace(make_planner(m_channel, w));
        m_walking = false; // what may play changed: the plan is joined where it is
    }
}

// The wall clock at `now` (the loop's turn, not this call), to the clocks' full
// precision: in WallTime's whole milliseconds an item would start up to a
// millisecond late (the part of one the boundary's wake-up fell into). The clocks
// are read once a turn, as one moment (wall_lead): what a boundary plans (the item
// on screen's end, the next one's first frame, whether the clock jumped) is all
// converted alike, however long the boundary takes or whatever comes between its
// reads. A test can make it jump (MILEPOST_TEST_CLOCK_JUMP).
std::chrono::sys_time<Clock::duration> Playback::wall_clock(Clock::time_point now) const {
    Clock::duration jumped{};
    if (const auto& jump = m_options.test.clock_jump;
        jump && now - m_clock_anchor >= clock_seconds(jump->first))
        jumped = clock_seconds(jump->second);
    if (m_options.clock_start)
        return *m_options.clock_start + (now - m_clock_anchor) + jumped;
    return std::chrono::sys_time<Clock::duration>(now.time_since_epoch() + m_lead.at(now)) + jumped;
}

WallTime Playback::wall_now(Clock::time_point now) const {
    return std::chrono::floor<std::chrono::milliseconds>(wall_clock(now));
}

// The wall clock moved against the monotonic one since the last boundary (it was
// set, or NTP stepped it): not an item that ended early.
bool Playback::clock_jumped(Clock::time_point now) {
    const Clock::duration offset = wall_clock(now).time_since_epoch() - now.time_since_epoch();
    const bool jumped = m_wall_offset && std::chrono::abs(offset - *m_wall_offset) >= kOnTime;
    m_wall_offset = offset;
    return jumped;
}

// `due` is what the plan shows from `from`. After an item failed here the screen
// walks on through the plan, ahead of it (Planner::walk_on), and then waits for the
// plan to catch up (Planner::catch_up); it walks on too past an item that cannot
// play here, and rather than join again the entry it has just shown (a video that
// ended early; after a channel update, the item, wherever the new plan has it). An
// alert comes first. A walked-on item that failed walks on again; a clock that
// jumped while the screen was ahead ends the walk: the plan is joined at `from`.
Showing Playback::or_walk_on(Showing due, WallTime from, Ended ended) {
    if (due.alert)
        return due;
    const Item* last = just_shown();
    if (const auto& cut = m_cut_by_alert) {
        // After an alert, the plan where it is, unless it is behind what the alert
        // cut: then on from there.
        if (behind_alert_cut(due) && !ended.clock_jumped)
            return cut->waits ? m_planner->catch_up(cut->entry_end, nullptr, from)
                              : m_planner->walk_on(cut->entry_end, last, from);
        return m_planner->excluded(due.item) ? m_planner->walk_on(due.entry_start, last, from)
                                             : due;
    }
    if (m_showing_valid && m_walking && ended.failed)
        return m_planner->walk_on(m_showing.entry_end, last, from);
    if (m_showing_valid && m_walking && !ended.clock_jumped && !ended.switched)
        return m_planner->catch_up(m_showing.entry_end, last, from);
    if (m_showing_valid && due.item == last &&
        (ended.switched || due.entry_start == m_showing.entry_start))
        return m_planner->walk_on(ended.switched ? due.entry_end : m_showing.entry_end, last, from);
    if (m_planner->excluded(due.item))
        return m_planner->walk_on(due.entry_start, last, from);
    return due;
}

// An item or a wait for the plan that an alert cuts short (not one that ends as it
// begins): what of it was shown by then, for or_walk_on after the alert. Forgotten
// once something else than an alert is on screen, or when the clock jumped.
void Playback::remember_alert_cut(const Showing& next, WallTime w, Ended ended) {
    if (!next.alert || ended.clock_jumped) {
        m_cut_by_alert.reset();
    } else if (m_showing_valid && !m_showing.alert && (m_showing.item || m_showing.waits) &&
               (m_showing.cut || w < m_showing.end)) {
        m_cut_by_alert = m_showing;
        m_cut_by_alert->end = w;
    }
}

// The plan at `due` has not yet passed what was shown of what the alert cut (that
// was ahead of the plan), or not reached the item a wait it cut was for.
bool Playback::behind_alert_cut(const Showing& due) const {
    const Showing& cut = *m_cut_by_alert;
    if (cut.waits)
        return due.entry_start < cut.entry_end;
    return due.entry_start < cut.entry_start ||
           (due.entry_start == cut.entry_start && due.offset < cut.offset + (cut.end - cut.start));
}

const Item* Playback::just_shown() const {
    if (m_cut_by_alert)
        return m_cut_by_alert->item;
    return m_showing_valid ? m_showing.item : nullptr;
}

const Item* Playback::item_by_id(const std::string& id) const {
    const auto same = std::find_if(m_channel.items.begin(), m_channel.items.end(),
                                   [&](const Item& i) { return i.id == id; });
    return id.empty() || same == m_channel.items.end() ? nullptr : &*same;
}

// What goes on screen at `t`: an alert a channel update brought, else what the
// plan shows.
Showing Playback::showing_due(WallTime t) {
    Showing s;
    auto urgent = std::find_if(m_channel.alerts.begin(), m_channel.alerts.end(),
                               [&](const Alert& a) { return a.id == m_alert_now; });
    if (!m_alert_now.empty() && urgent != m_channel.alerts.end()) {
        s = m_planner->alert_now(*urgent, t);
    } else {
        s = m_planner->showing_at(t);
    }
    m_alert_now.clear();
    return s;
}

} // namespace milepost
