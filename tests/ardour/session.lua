-- Headless Ardour 7 session script (run with ardour7-lua, see run_ardour_test.sh).
-- Creates a session, puts DeepMIDI (VST3) on MIDI track A, routes A's MIDI out to
-- record-armed MIDI track B, records, and writes B's recorded notes to ARDOUR_TEST_OUT.
-- With a phrase, a MIDI region on track A plays it into DeepMIDI.
-- Every setting comes from environment variables (ARDOUR_TEST_*), see run_ardour_test.sh.

local function env (k, default)
	local v = os.getenv (k)
	if v == nil or v == "" then return default end
	return v
end

local function die (msg)
	io.stderr:write ("ARDOUR-TEST-ERROR: " .. msg .. "\n")
	print ("ARDOUR-TEST-ERROR: " .. msg)
	if Session then
		pcall (function () Session:save_state ("", false, false, false, false, false) end) -- for post-mortem (--keep)
		collectgarbage (); collectgarbage ()
		pcall (function () Session:close () end)
	end
	os.exit (3)
end

local function log (...)
	local t = {}
	for i, v in ipairs ({...}) do t[i] = tostring (v) end
	print ("ARDOUR-TEST: " .. table.concat (t, " "))
end

local wall0 = os.time ()
local clock0 = os.clock ()

local SESSION_DIR = env ("ARDOUR_TEST_SESSION_DIR") or die ("ARDOUR_TEST_SESSION_DIR not set")
local SNAP        = "deepmidi"
local BPM         = tonumber (env ("ARDOUR_TEST_BPM", "120"))
local BUFFER      = tonumber (env ("ARDOUR_TEST_BUFFER", "1024"))
local RATE        = tonumber (env ("ARDOUR_TEST_RATE", "48000"))
local BARS        = tonumber (env ("ARDOUR_TEST_BARS", "16"))
local DRIVER      = env ("ARDOUR_TEST_DRIVER", "10x Speed")
local OUT         = env ("ARDOUR_TEST_OUT") or die ("ARDOUR_TEST_OUT not set")
local PARAMS      = env ("ARDOUR_TEST_PARAMS", "")
local MODEL_NAMES = env ("ARDOUR_TEST_MODEL_NAMES", "bach|irish")
local LOOP        = env ("ARDOUR_TEST_LOOP", "")     -- "START_BEAT:END_BEAT:PASSES"
local LOCATE      = env ("ARDOUR_TEST_LOCATE", "")   -- "AT_BEAT:TO_BEAT" (AT counted in played beats)
local TAP         = env ("ARDOUR_TEST_TAP", "1") == "1"
local PLUGIN      = env ("ARDOUR_TEST_PLUGIN_NAME", "DeepMIDI")
local TIMEOUT     = tonumber (env ("ARDOUR_TEST_WAIT_TIMEOUT", "90"))
-- record on track Rec (default: yes, except with a locate: Ardour 7.3 drops a MIDI take
-- that a locate interrupts, see README)
local RECORD      = env ("ARDOUR_TEST_RECORD", LOCATE ~= "" and "0" or "1") == "1"
local CYCLES      = env ("ARDOUR_TEST_CYCLES", "0") == "1"
local START       = tonumber (env ("ARDOUR_TEST_START", "0"))   -- beat to roll from (no loop)
-- notes of a MIDI region on track Gen, played into the plugin: "ONSET:LENGTH:PITCH,..." in
-- session beats
local PHRASE      = env ("ARDOUR_TEST_PHRASE", "")
-- the tap right before the plugin (what it hears) instead of right after it
local TAP_INPUT   = env ("ARDOUR_TEST_TAP_INPUT", "0") == "1"
if (LOCATE ~= "" or LOOP ~= "" or PHRASE ~= "") and not TAP then
	io.stderr:write ("ARDOUR-TEST-ERROR: --loop, --locate and --phrase need the tap\n"); os.exit (2)
end
if PHRASE ~= "" and LOOP ~= "" then
	io.stderr:write ("ARDOUR-TEST-ERROR: no --phrase with --loop\n"); os.exit (2)
end
local GEN_INDEX, TAP_INDEX = 0, 1
if TAP_INPUT then GEN_INDEX, TAP_INDEX = 1, 0 end

if env ("ARDOUR_TEST_DEBUG") then set_debug_options (env ("ARDOUR_TEST_DEBUG")) end

local TPB = 1920 -- Temporal::ticks_per_beat
local samples_per_beat = RATE * 60 / BPM

local function beats_to_samples (b) return math.floor (b * samples_per_beat + 0.5) end

-- Beats:str() is "BEATS:TICKS"
local function beats_ticks (b)
	local s = b:str ()
	local bb, tt = s:match ("^(%-?%d+):(%-?%d+)$")
	if not bb then die ("cannot parse Beats '" .. s .. "'") end
	return tonumber (bb) * TPB + tonumber (tt)
end

local function fmt_beats (ticks) return string.format ("%.6f", ticks / TPB) end

-------------------------------------------------------------------------------
-- 1. engine + session
-------------------------------------------------------------------------------
local be = AudioEngine:set_backend ("None (Dummy)", env ("ARDOUR_TEST_DUMMY_INSTANCE", ""), "")
if be:isnil () then die ("cannot select the None (Dummy) backend") end
if be:set_driver (DRIVER) ~= 0 then die ("cannot set driver " .. DRIVER) end
if be:set_buffer_size (BUFFER) ~= 0 then die ("cannot set buffer size " .. BUFFER) end

local function open_session (create)
	local s
	if create then
		s = create_session (SESSION_DIR, SNAP, RATE)
	else
		s = load_session (SESSION_DIR, SNAP)
	end
	if not s then die ((create and "create" or "load") .. "_session failed") end
	if Session:get_block_size () ~= BUFFER then
		die ("engine runs with block size " .. Session:get_block_size () .. ", wanted " .. BUFFER)
	end
	if Session:nominal_sample_rate () ~= RATE then
		die ("session rate " .. Session:nominal_sample_rate () .. ", wanted " .. RATE)
	end
end

open_session (true)
log ("session created", SESSION_DIR, "rate", Session:nominal_sample_rate (), "block", Session:get_block_size (), "driver", be:driver_name ())

-- 4/4 at BPM from the start
do
	local tm = Temporal.TempoMap.write_copy ()
	tm:set_tempo (Temporal.Tempo (BPM, BPM, 4), Temporal.timepos_t (0))
	tm:set_meter (Temporal.Meter (4, 4), Temporal.timepos_t (0))
	Temporal.TempoMap.update (tm)
	tm = nil
end

-------------------------------------------------------------------------------
-- 2. tracks
-------------------------------------------------------------------------------
local pinfo = ARDOUR.LuaAPI.new_plugin_info (PLUGIN, ARDOUR.PluginType.VST3)
if pinfo:isnil () then die ("VST3 plugin '" .. PLUGIN .. "' not in Ardour's plugin cache (scan it first)") end

local midi1 = ARDOUR.ChanCount (ARDOUR.DataType ("midi"), 1)
local tl = Session:new_midi_track (midi1, midi1, false, pinfo, nil, nil, 1, "Gen", ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, false, false)
if tl:size () ~= 1 then die ("could not create track Gen") end
tl = Session:new_midi_track (midi1, midi1, false, ARDOUR.PluginInfo (), nil, nil, 1, "Rec", ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, false, false)
if tl:size () ~= 1 then die ("could not create track Rec") end

local A = Session:route_by_name ("Gen")
local B = Session:route_by_name ("Rec")
if A:isnil () or B:isnil () then die ("tracks not found after creation") end

local gen = A:nth_plugin (0)
if gen:isnil () or gen:to_insert ():plugin (0):name () ~= PLUGIN then die ("track Gen has no " .. PLUGIN) end

if TAP then
	local tap = ARDOUR.LuaAPI.new_luaproc (Session, "DeepMIDI Test Tap")
	if tap:isnil () then die ("cannot create Lua DSP 'DeepMIDI Test Tap' (is tap.lua in $XDG_CONFIG_HOME/ardour7/scripts?)") end
	-- right after the instrument (or right before it)
	if A:add_processor_by_index (tap, TAP_INDEX, nil, true) ~= 0 then die ("cannot add the tap next to the plugin") end
	gen = A:nth_plugin (GEN_INDEX)
end

-- loop range: Lua cannot create an auto-loop Location in Ardour 7.3, so add a range
-- marker now and turn it into the loop range in the saved session file (below).
local loop_s, loop_e, loop_passes
if LOOP ~= "" then
	local a, b, n = LOOP:match ("^([%d%.]+):([%d%.]+):(%d+)$")
	if not a then die ("ARDOUR_TEST_LOOP must be START_BEAT:END_BEAT:PASSES, got " .. LOOP) end
	loop_s, loop_e, loop_passes = tonumber (a), tonumber (b), tonumber (n)
	if loop_e <= loop_s then die ("loop end must be after loop start") end
	local loc = Session:locations ():add_range (Temporal.timepos_t (beats_to_samples (loop_s)), Temporal.timepos_t (beats_to_samples (loop_e)))
	loc:set_name ("TestLoop")
end

-------------------------------------------------------------------------------
-- save, (patch loop range), and reload: the reloaded session is what we record in
-------------------------------------------------------------------------------
if LOOP ~= "" then
	Session:save_state ("", false, false, false, false, false)
	-- drop every Lua reference to session objects before the session is deleted
	A, B, gen, tl = nil, nil, nil, nil
	collectgarbage (); collectgarbage ()
	Session:close ()
	local f = SESSION_DIR .. "/" .. SNAP .. ".ardour"
	local fh = io.open (f, "r") or die ("cannot read " .. f)
	local xml = fh:read ("a")
	fh:close ()
	local n
	xml, n = xml:gsub ('(<Location [^>]-name="TestLoop"[^>]-flags=")[^"]*(")', '%1IsAutoLoop,IsHidden%2')
	if n ~= 1 then
		xml, n = xml:gsub ('(<Location [^>]-flags=")[^"]*("[^>]-name="TestLoop")', '%1IsAutoLoop,IsHidden%2')
	end
	if n ~= 1 then die ("could not turn the TestLoop range into the loop range in " .. f) end
	fh = io.open (f, "w")
	fh:write (xml)
	fh:close ()
	open_session (false)
	A = Session:route_by_name ("Gen")
	B = Session:route_by_name ("Rec")
	gen = A:nth_plugin (GEN_INDEX)
	local ll = Session:locations ():auto_loop_location ()
	if not ll then die ("no loop range after reload") end
	log ("loop range samples", ll:start ():samples (), ll:_end ():samples (), "beats", ll:start ():ticks () / TPB, ll:_end ():ticks () / TPB)
end

local tap_shm = nil
if TAP then
	local p = A:nth_plugin (TAP_INDEX)
	if p:isnil () then die ("tap missing") end
	tap_shm = p:to_insert ():plugin (0):to_luaproc ():shmem ()
end

-------------------------------------------------------------------------------
-- 3. plugin parameters
-------------------------------------------------------------------------------
local plug = gen:to_insert ():plugin (0)
local names = {}
for m in MODEL_NAMES:gmatch ("[^|]+") do names[#names + 1] = m end

local function param_index (label)
	for i = 0, plug:parameter_count () - 1 do
		if plug:parameter_is_input (i) and plug:parameter_label (i):lower () == label:lower () then return i end
	end
	return nil
end

local function describe_params (tag)
	for i = 0, plug:parameter_count () - 1 do
		if plug:parameter_is_input (i) then
			local _, t = plug:get_parameter_descriptor (i, ARDOUR.ParameterDescriptor ())
			local pd = t[2]
			local ok, v = true, ARDOUR.LuaAPI.get_processor_param (gen, i, true)
			print (string.format ("PARAM%s %d label=%q lower=%g upper=%g normal=%g toggled=%s integer_step=%s enumeration=%s rangesteps=%d value=%g",
				tag, i, plug:parameter_label (i), pd.lower, pd.upper, pd.normal, tostring (pd.toggled),
				tostring (pd.integer_step), tostring (pd.enumeration), pd.rangesteps, v))
		end
	end
end

describe_params ("")

local applied = {}
for item in PARAMS:gmatch ("[^;]+") do
	local k, v = item:match ("^%s*(.-)%s*=%s*(.-)%s*$")
	if not k then die ("bad parameter setting '" .. item .. "' (want Name=value)") end
	local idx = param_index (k) or die ("no input parameter named '" .. k .. "'")
	local val = tonumber (v)
	if val == nil then
		if k:lower () == "model" then
			for j, m in ipairs (names) do if m == v then val = j - 1 end end
			if val == nil then die ("unknown model '" .. v .. "' (known: " .. MODEL_NAMES .. ")") end
		elseif v:lower () == "true" or v:lower () == "on" then val = 1
		elseif v:lower () == "false" or v:lower () == "off" then val = 0
		else die ("value of " .. k .. " must be a number: " .. v) end
	end
	if not ARDOUR.LuaAPI.set_processor_param (gen, idx, val) then
		die (string.format ("set_processor_param(%s=%g) refused (out of range?)", k, val))
	end
	applied[#applied + 1] = { k, v, idx, val }
end
sleep (0.3) -- queued parameter changes reach the plugin in the next process cycles
for _, a in ipairs (applied) do
	local got = ARDOUR.LuaAPI.get_processor_param (gen, a[3], true)
	log ("param", a[1], "=", a[2], "index", a[3], "plain", a[4], "readback", got)
	if math.abs (got - a[4]) > 1e-3 * math.max (1, math.abs (a[4])) then
		die (string.format ("parameter %s reads back %g, wanted %g", a[1], got, a[4]))
	end
end

-------------------------------------------------------------------------------
-- routing: A's MIDI out -> B's MIDI in only
-------------------------------------------------------------------------------
local aout = A:output ()
if aout:n_ports ():n_midi () < 1 then
	if aout:add_port ("", nil, ARDOUR.DataType ("midi")) ~= 0 then die ("cannot add a MIDI output port to Gen") end
end
local amidi = aout:midi (0)
local bin = B:input ()
bin:disconnect_all (nil)
amidi:disconnect_all () -- drop any auto-connection of that port
if aout:connect (amidi, bin:midi (0):name (), nil) ~= 0 then die ("cannot connect Gen MIDI out to Rec MIDI in") end
log ("Gen outputs: audio", aout:n_ports ():n_audio (), "midi", aout:n_ports ():n_midi (), "; connected", amidi:name (), "->", bin:midi (0):name ())
sleep (0.2)

-------------------------------------------------------------------------------
-- transport helpers
-------------------------------------------------------------------------------
local Bt = B:to_track ()

local function locate_stopped (sample)
	Session:request_locate (sample, false, ARDOUR.LocateTransportDisposition.MustStop, ARDOUR.TransportRequestSource.TRS_UI)
	sleep (0.3)
	if Session:transport_sample () ~= sample then die ("transport not at " .. sample .. " before roll: " .. Session:transport_sample ()) end
end

local function enable_record ()
	Session:maybe_enable_record (false)
	sleep (0.1)
	if Session:record_status () ~= ARDOUR.Session.RecordState.Enabled then die ("global record did not enable") end
end

-- Rolls until the tap (or, without it, this script) stops the transport once `stop_after`
-- samples have been played from `roll_sample`.
local function roll_until_stopped (roll_sample, stop_after, recording)
	Session:request_roll (ARDOUR.TransportRequestSource.TRS_UI)
	local waited = 0
	while not Session:transport_rolling () and waited < 10 do sleep (0.01); waited = waited + 0.01 end
	if not Session:transport_rolling () then die ("transport did not start") end
	if recording and not Session:actively_recording () then
		sleep (0.05)
		if not Session:actively_recording () then die ("rolling but not recording") end
	end

	-- A locate while rolling passes through stopped states, so "not rolling" alone is not
	-- the end: with the tap wait for its stop request, then for a steady stop.
	waited = 0
	local still = 0
	while still < 10 do
		local done
		if tap_shm then
			done = tap_shm:atomic_get_int (3) == 1
		else
			if Session:transport_rolling () and Session:transport_sample () >= roll_sample + stop_after then
				Session:request_stop (false, false, ARDOUR.TransportRequestSource.TRS_UI)
			end
			done = Session:transport_sample () >= roll_sample + stop_after
		end
		if done and Session:transport_stopped () then still = still + 1 else still = 0 end
		sleep (0.01)
		waited = waited + 0.01
		if waited > TIMEOUT then die ("transport did not stop within " .. TIMEOUT .. " s") end
	end
end

-- The capture becomes regions in the butler thread after the stop: waits for them, then
-- disarms the session.
local function wait_for_takes (playlist)
	local waited = 0
	while playlist:region_list ():size () == 0 and waited < 20 do sleep (0.05); waited = waited + 0.05 end
	sleep (0.5)
	Session:disable_record (false, false)
	if playlist:region_list ():size () == 0 then die ("no region recorded on track Rec") end
end

-------------------------------------------------------------------------------
-- phrase: a MIDI region on track Gen, played into the plugin from disk
-------------------------------------------------------------------------------
-- Lua cannot create a MIDI source in Ardour 7.3, but recording does: a short roll records
-- one note that the tap sends, on track Rec; that take's notes are replaced by the phrase,
-- and a copy of the region goes to track Gen's playlist at beat 0.
local phrase = {} -- { onset_ticks, length_ticks, pitch }, in session ticks
local phrase_region = nil
if PHRASE ~= "" then
	local phrase_end = 0
	for item in PHRASE:gmatch ("[^,]+") do
		local o, l, p = item:match ("^%s*([%d%.]+):([%d%.]+):(%d+)%s*$")
		if not o or tonumber (p) > 127 then die ("bad phrase note '" .. item .. "' (want ONSET:LENGTH:PITCH, beats)") end
		local n = { math.floor (tonumber (o) * TPB + 0.5), math.floor (tonumber (l) * TPB + 0.5), tonumber (p) }
		if n[2] < 1 then die ("phrase note '" .. item .. "' has no length") end
		phrase[#phrase + 1] = n
		phrase_end = math.max (phrase_end, n[1] + n[2])
	end
	table.sort (phrase, function (x, y) if x[1] ~= y[1] then return x[1] < y[1] end return x[3] < y[3] end)

	-- nothing but the region plays into the plugin
	A:input ():disconnect_all (nil)

	-- the take: as long as the phrase, and a beat
	Bt:rec_enable_control ():set_value (1, PBD.GroupControlDisposition.NoGroup)
	locate_stopped (0)
	enable_record ()
	local take_samples = beats_to_samples (math.ceil (phrase_end / TPB) + 1)
	tap_shm:atomic_set_int (9, 1)
	tap_shm:atomic_set_int (1, take_samples)
	roll_until_stopped (0, take_samples, true)
	local rec_playlist = Bt:playlist ()
	wait_for_takes (rec_playlist)
	if tap_shm:atomic_get_int (9) ~= 2 then die ("the tap sent no note to record") end
	local take = nil
	for r in rec_playlist:region_list ():iter () do take = r end
	phrase_region = ARDOUR.RegionFactory.clone_region (take, true, false)
	rec_playlist:remove_region (take)
	take = nil
	if rec_playlist:region_list ():size () ~= 0 then die ("the take is still on track Rec") end
	-- a fresh start for the tap: counters and logs from zero
	for _, i in ipairs ({ 0, 1, 2, 3, 7, 8, 9 }) do tap_shm:atomic_set_int (i, 0) end

	-- the phrase replaces the take's notes; the model's times count from the source's
	-- start, the region plays the source from its `start`
	local model = phrase_region:to_midiregion ():model ()
	local start_t = phrase_region:start ():ticks ()
	local cmd = model:new_note_diff_command ("phrase")
	for n in ARDOUR.LuaAPI.note_list (model):iter () do cmd:remove (n) end
	for _, n in ipairs (phrase) do
		cmd:add (ARDOUR.LuaAPI.new_noteptr (0, Temporal.Beats.ticks (start_t + n[1]), Temporal.Beats.ticks (n[2]), n[3], 100))
	end
	model:apply_command (Session, cmd)
	phrase_region:set_length (Temporal.timecnt_t.from_ticks (phrase_end + TPB))
	A:to_track ():playlist ():add_region (phrase_region, Temporal.timepos_t.from_ticks (0), 1, false)
	sleep (0.2)
	log ("phrase region on Gen: position_ticks", phrase_region:position ():ticks (), "start_ticks", start_t,
		"length_ticks", phrase_region:length ():ticks (), "notes", #phrase)
end

-------------------------------------------------------------------------------
-- record / play
-------------------------------------------------------------------------------
Bt:rec_enable_control ():set_value (RECORD and 1 or 0, PBD.GroupControlDisposition.NoGroup)

local total_beats
if LOOP ~= "" then
	ARDOUR.config ():set_loop_is_mode (true)
	-- with loop-is-mode this only arms the loop (and locates to its start, stopped)
	Session:request_play_loop (true, false)
	sleep (0.3)
	if not Session:get_play_loop () then die ("loop did not engage") end
	-- Ardour 7.3 always starts a looped roll at the loop start (Session::start_transport
	-- locates there), so we play PASSES times the loop range, from the loop start.
	total_beats = loop_passes * (loop_e - loop_s)
else
	total_beats = BARS * 4
	locate_stopped (beats_to_samples (START))
end

if RECORD then enable_record () end

local stop_after = beats_to_samples (total_beats)
if tap_shm then
	-- the tap requests the stop (and the locate) from the process thread, at the end of
	-- the cycle in which that many samples have been played: exact and repeatable
	tap_shm:atomic_set_int (1, stop_after)
	if LOCATE ~= "" then
		local at, to = LOCATE:match ("^([%d%.]+):([%d%.]+)$")
		if not at then die ("ARDOUR_TEST_LOCATE must be AT_BEAT:TO_BEAT") end
		tap_shm:atomic_set_int (5, beats_to_samples (tonumber (to)))
		tap_shm:atomic_set_int (4, math.max (1, beats_to_samples (tonumber (at))))
	end
end

local roll_sample = Session:transport_sample ()
local wall_roll = os.time ()
log ("rolling from sample", roll_sample, "; stop after", stop_after, "played samples =", total_beats, "beats; record", RECORD)
roll_until_stopped (roll_sample, stop_after, RECORD)
local stopped_at = Session:transport_sample ()
log ("stopped at sample", stopped_at, tap_shm and ("played " .. tap_shm:atomic_get_int (2)) or "")

local playlist = Bt:playlist ()
if RECORD then wait_for_takes (playlist) end

-------------------------------------------------------------------------------
-- 4. dump
-------------------------------------------------------------------------------
local out = io.open (OUT, "w") or die ("cannot write " .. OUT)
local function w (s) out:write (s, "\n") end

w ("# deepmidi-ardour-capture v1")
w (string.format ("# bpm=%s buffer=%d rate=%d bars=%s driver=%q loop=%q locate=%q record=%s params=%q",
	tostring (BPM), BUFFER, RATE, tostring (BARS), DRIVER, LOOP, LOCATE, tostring (RECORD), PARAMS))
w (string.format ("# rolled_from_sample=%d played_beats=%s stop_after_samples=%d stopped_at_sample=%d samples_per_beat=%.6f",
	roll_sample, tostring (total_beats), stop_after, stopped_at, samples_per_beat))
w (string.format ("# latency: Gen signal=%d playback=%d out_port=%d; Rec signal=%d in_port=%d; worst_out=%d worst_in=%d",
	A:signal_latency (), A:playback_latency (false), aout:latency (), B:signal_latency (), bin:latency (),
	Session:worst_output_latency (), Session:worst_input_latency ()))

if phrase_region then
	-- the phrase as the region on track Gen holds it
	w ("# phrase columns: pitch velocity channel(1-16) onset_ticks length_ticks (session position, 1920 ticks per beat)")
	local pos_t, start_t, len_t = phrase_region:position ():ticks (), phrase_region:start ():ticks (), phrase_region:length ():ticks ()
	local held = {}
	for n in ARDOUR.LuaAPI.note_list (phrase_region:to_midiregion ():model ()):iter () do
		local src_t = beats_ticks (n:time ())
		if src_t >= start_t and src_t < start_t + len_t then
			held[#held + 1] = { pos_t - start_t + src_t, beats_ticks (n:length ()), n:note (), n:velocity (), n:channel () }
		end
	end
	table.sort (held, function (x, y) if x[1] ~= y[1] then return x[1] < y[1] end return x[3] < y[3] end)
	for _, n in ipairs (held) do
		w (string.format ("phrase %d %d %d %d %d", n[3], n[4], n[5] + 1, n[1], n[2]))
	end
end

local total = 0
if RECORD then
	w ("# note columns: region pitch velocity channel(1-16) onset_ticks length_ticks onset_beats length_beats capture_ticks")
	w ("#   as Ardour stored them (1920 ticks per beat); onset = session position, beat 0 = session start;")
	w ("#   capture_ticks = position in the recorded source (time since capture start; keeps counting across loop passes)")
	local regs = {}
	for r in playlist:region_list ():iter () do regs[#regs + 1] = r end
	table.sort (regs, function (x, y)
		if x:position ():ticks () ~= y:position ():ticks () then return x:position ():ticks () < y:position ():ticks () end
		return x:start ():ticks () < y:start ():ticks ()
	end)
	for ri, r in ipairs (regs) do
		local mr = r:to_midiregion ()
		local pos_t = r:position ():ticks ()
		local start_t = r:start ():ticks ()
		local len_t = r:length ():ticks ()
		w (string.format ("region %d name=%q position_ticks=%d start_ticks=%d length_ticks=%d position_sample=%d layer=%d",
			ri, r:name (), pos_t, start_t, len_t, r:position ():samples (), r:layer ()))
		local notes = {}
		for n in ARDOUR.LuaAPI.note_list (mr:model ()):iter () do
			local src_t = beats_ticks (n:time ())
			-- a loop take is a window [start, start+length) of the one captured source
			if src_t >= start_t and src_t < start_t + len_t then
				notes[#notes + 1] = { pos_t - start_t + src_t, beats_ticks (n:length ()), n:note (), n:velocity (), n:channel (), src_t }
			end
		end
		table.sort (notes, function (x, y) if x[1] ~= y[1] then return x[1] < y[1] end return x[3] < y[3] end)
		for _, n in ipairs (notes) do
			w (string.format ("note %d %d %d %d %d %d %s %s %d", ri, n[3], n[4], n[5] + 1, n[1], n[2], fmt_beats (n[1]), fmt_beats (n[2]), n[6]))
		end
		total = total + #notes
	end
	w (string.format ("count %d", total))
	regs = nil
end

local ntap = 0
if tap_shm then
	local nev = tap_shm:atomic_get_int (0)
	local ncy = tap_shm:atomic_get_int (7)
	w (string.format ("# tap: %d MIDI events from the plugin, %d rolling process calls, overflow=%d, locate_requested=%d",
		nev, ncy, tap_shm:atomic_get_int (8), tap_shm:atomic_get_int (6)))
	local ev = tap_shm:to_int (16):array ()
	-- pair note-ons with the next note-off of the same channel+pitch (event order)
	w ("# tapnote columns: pitch velocity channel(1-16) onset_sample onset_beats onset_ticks length_samples length_beats played_onset_samples")
	w ("#   straight from the plugin's output buffer (exact samples): onset_sample = transport sample of the cycle + event time;")
	w ("#   onset_ticks = round(onset_beats*1920) (what a recording should store); lengths in played samples (across loops/locates);")
	w ("#   length -1 = no note-off before the stop")
	local open = {}
	local tn = {}
	for i = 0, nev - 1 do
		local b = i * 7
		local st, d1, d2 = ev[b + 5], ev[b + 6], ev[b + 7]
		local smp = ev[b + 1] + ev[b + 3]
		local played = ev[b + 2] + ev[b + 3]
		local kind = st & 0xf0
		local key = (st & 0x0f) * 128 + d1
		if kind == 0x90 and d2 > 0 then
			local n = { d1, d2, (st & 0x0f) + 1, smp, played, -1 }
			tn[#tn + 1] = n
			if open[key] == nil then open[key] = {} end
			table.insert (open[key], n)
		elseif kind == 0x80 or (kind == 0x90 and d2 == 0) then
			if open[key] and #open[key] > 0 then
				local n = table.remove (open[key], 1)
				n[6] = played - n[5]
			end
		end
	end
	for _, n in ipairs (tn) do
		local ob = n[4] / samples_per_beat
		w (string.format ("tapnote %d %d %d %d %.6f %d %d %s %d", n[1], n[2], n[3], n[4], ob, math.floor (ob * TPB + 0.5),
			n[6], n[6] >= 0 and string.format ("%.6f", n[6] / samples_per_beat) or "-1", n[5]))
	end
	ntap = #tn
	w (string.format ("tapcount %d", ntap))
	w ("# tap event columns: transport_sample_of_cycle played_samples_at_cycle_start time_in_cycle offset status data1 data2")
	for i = 0, nev - 1 do
		local b = i * 7
		w (string.format ("tap %d %d %d %d 0x%02x %d %d", ev[b + 1], ev[b + 2], ev[b + 3], ev[b + 4], ev[b + 5], ev[b + 6], ev[b + 7]))
	end
	if CYCLES then
		w ("# cycle columns: transport_sample n_samples played_samples (one line per rolling process call of track Gen)")
		local cy = tap_shm:to_int (16 + 7 * 40000):array ()
		for i = 0, ncy - 1 do
			local b = i * 3
			w (string.format ("cycle %d %d %d", cy[b + 1], cy[b + 2], cy[b + 3]))
		end
	end
end
w (string.format ("# timing: roll to dump %d s wall, whole script %d s wall (1 s resolution)", os.time () - wall_roll, os.time () - wall0))
w ("# end")
out:close ()
log ("wrote", OUT, "recorded notes", total, "tap notes", ntap)

A, B, Bt, gen, plug, playlist, aout, amidi, bin, tap_shm, phrase_region = nil
collectgarbage (); collectgarbage ()
Session:close ()
print ("ARDOUR-TEST-OK")
