ardour {
	["type"]    = "dsp",
	name        = "DeepMIDI Test Tap",
	category    = "Utility",
	license     = "MIT",
	author      = "deepmidi-ardour",
	description = [[Test helper: passes audio+MIDI through unchanged, logs every MIDI event
with the transport sample of its cycle, and (when told through shared memory) requests a
transport stop or a locate at an exact cycle boundary, counted in rolled samples; on request,
sends one note of its own (to give a recording track something to record).]]
}

-- Shared memory layout (int32, 0-based index as used by atomic_*; the session script
-- reads the same layout):
--   0 number of events logged          1 stop after this many rolled samples (0: never)
--   2 rolled samples so far            3 stop requested (1)
--   4 locate when rolled >= this (0: never)   5 locate target sample   6 locate requested
--   7 number of cycles logged          8 overflow (1 when a log filled up)
--   9 send a note (1: in the next rolling cycle with no other MIDI, lasting that cycle;
--     the tap sets it to 2 once sent)
--   EV_BASE ..: events, EV_W ints each: transport_sample, rolled_at_cycle_start,
--               time_in_cycle, offset, status, data1, data2
--   CY_BASE ..: cycles while rolling, CY_W ints each: transport_sample, n_samples, rolled

local HDR = 16
local EV_W, EV_MAX = 7, 40000
local CY_W, CY_MAX = 3, 40000
local EV_BASE = HDR
local CY_BASE = HDR + EV_W * EV_MAX

function dsp_ioconfig ()
	return { { midi_in = 1, midi_out = 1, audio_in = -1, audio_out = -1 }, }
end

function dsp_init (rate)
	self:shmem ():allocate (CY_BASE + CY_W * CY_MAX)
	self:shmem ():clear ()
end

local n_out = nil
function dsp_configure (ins, outs)
	n_out = outs
end

function dsp_runmap (bufs, in_map, out_map, n_samples, offset)
	-- pass everything through unchanged
	ARDOUR.DSP.process_map (bufs, n_out, in_map, out_map, n_samples, offset)

	local shm = self:shmem ()
	local rolling = Session:transport_rolling ()
	local ts = Session:transport_sample ()
	local rolled = shm:atomic_get_int (2)

	local ib = in_map:get (ARDOUR.DataType ("midi"), 0)
	if ib ~= ARDOUR.ChanMapping.Invalid then
		local nev = shm:atomic_get_int (0)
		local ev = shm:to_int (EV_BASE):array ()
		for _, e in pairs (bufs:get_midi (ib):table ()) do
			if nev < EV_MAX then
				local d = e:buffer ():array ()
				local b = nev * EV_W
				ev[b + 1] = ts
				ev[b + 2] = rolled
				ev[b + 3] = e:time ()
				ev[b + 4] = offset
				ev[b + 5] = d[1]
				ev[b + 6] = e:size () > 1 and d[2] or -1
				ev[b + 7] = e:size () > 2 and d[3] or -1
				nev = nev + 1
			else
				shm:atomic_set_int (8, 1)
			end
		end
		shm:atomic_set_int (0, nev)
	end

	if not rolling then return end

	local ob = out_map:get (ARDOUR.DataType ("midi"), 0)
	if shm:atomic_get_int (9) == 1 and n_samples > 1 and ob ~= ARDOUR.ChanMapping.Invalid then
		local mb = bufs:get_midi (ob)
		if mb:empty () then
			for _, e in ipairs ({ { offset, 0x90, 100 }, { offset + n_samples - 1, 0x80, 0 } }) do
				local ba = C.ByteVector ()
				ba:add ({ e[2], 60, e[3] })
				mb:push_back (e[1], Evoral.EventType.MIDI_EVENT, ba:size (), ba:to_array ())
			end
			shm:atomic_set_int (9, 2)
		end
	end

	local ncy = shm:atomic_get_int (7)
	if ncy < CY_MAX then
		local cy = shm:to_int (CY_BASE):array ()
		local b = ncy * CY_W
		cy[b + 1] = ts
		cy[b + 2] = n_samples
		cy[b + 3] = rolled
		shm:atomic_set_int (7, ncy + 1)
	else
		shm:atomic_set_int (8, 1)
	end

	rolled = rolled + n_samples
	shm:atomic_set_int (2, rolled)

	local stop_after = shm:atomic_get_int (1)
	if stop_after > 0 and rolled >= stop_after and shm:atomic_get_int (3) == 0 then
		shm:atomic_set_int (3, 1)
		Session:request_stop (false, false, ARDOUR.TransportRequestSource.TRS_UI)
	end
	local locate_at = shm:atomic_get_int (4)
	if locate_at > 0 and rolled >= locate_at and shm:atomic_get_int (6) == 0 then
		shm:atomic_set_int (6, 1)
		Session:request_locate (shm:atomic_get_int (5), false, ARDOUR.LocateTransportDisposition.MustRoll, ARDOUR.TransportRequestSource.TRS_UI)
	end
end
