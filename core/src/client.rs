//! The task table: up to `N` tasks (default 5, S3.5) over caller-owned buffers, addressed by
//! generation-checked [`Handle`]s. Every public command and input of the core is here.

use core::num::NonZeroU64;
use core::ops::Range;

use rand_core::Rng;

use crate::MAX_PROTOCOLS_BYTES;
use crate::buffers::{BufferUse, Buffers};
use crate::close_code::CloseCode;
use crate::config::{Config, ConnectOptions, MIN_BUFFER_LEN, Schemes};
use crate::error::{CloseError, ConfigError, ConnectError, Refusal, SendError, TransportError, UrlError};
use crate::event::{Event, Message};
use crate::handshake::extension::{DeflateOfferError, PerMessageDeflate};
use crate::handshake::request::{find_header_refusal, find_protocol_refusal};
use crate::handshake::{Key, Request};
use crate::log::{info, scheme_name};
use crate::ready_state::ReadyState;
use crate::socket::{
    Env, Handshake, Inflater, InflaterMut, Socket, StreamEnd, fast_paths, joined_len, lend, relend,
};
use crate::time::{Deadline, Instant};
use crate::transmit::DATA_RESERVE;
use crate::url::{Scheme, Url};

/// The tasks a client holds at most by default (S3.5).
pub const DEFAULT_MAX_TASKS: usize = 5;

/// Names one task: its slot and its `socketTaskId`, which is never reused (S1), so a handle
/// of a finished task can never reach the task that took its slot over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle {
    id: NonZeroU64,
    slot: SlotIndex,
}

/// A slot's index as a [`Handle`] keeps it: as the slots are indexed on hosted targets (the
/// handle is 16 bytes either way, and the calls every message makes convert nothing), in 16
/// bits on bare metal, where the conversions are less flash.
#[cfg(not(target_os = "none"))]
type SlotIndex = usize;
/// A slot's index as a [`Handle`] keeps it (see the hosted definition).
#[cfg(target_os = "none")]
type SlotIndex = u16;

impl Handle {
    /// The `socketTaskId`: a positive integer counting up from 1, never reused (S1).
    pub fn socket_task_id(self) -> u64 {
        self.id.get()
    }

    /// The index of the task's slot (its buffers) in the client, below `N`.
    pub fn slot(self) -> usize {
        #[cfg(not(target_os = "none"))]
        return self.slot;
        #[cfg(target_os = "none")]
        usize::from(self.slot)
    }
}

#[derive(Debug)]
struct Slot<S> {
    buffers: Buffers<S>,
    task: Option<(NonZeroU64, Socket)>,
    /// The inflater's state (permessage-deflate: 10.5 KB; nothing without), beside the task
    /// rather than in it: a new task is small to build, in place or not (the stack of small
    /// devices), and the state is built once, when a message first needs it.
    inflater: Inflater,
}

/// The SocketTask client: a fixed table of up to `N` tasks, driven by the caller.
///
/// See the [crate documentation](crate) for the call order and a complete loop.
pub struct Client<S, R, const N: usize = DEFAULT_MAX_TASKS> {
    config: Config,
    rng: R,
    slots: heapless::Vec<Slot<S>, N>,
    next_id: u64,
    /// The slot whose event was last polled, released at the next call (a message releases
    /// its bytes as it is polled: `Socket::pop_message`).
    lent: Option<usize>,
    /// The latest `now` the caller passed. Calls without a `now` (`poll_event`, `send`, …)
    /// still do timed work: polling resumes parsing, and what it parses next (a close frame,
    /// a protocol error) arms the close timer. That timer must start from the current time,
    /// not from [`Instant::ZERO`], or `poll_timeout` would name an instant long past and the
    /// close handshake would be cut short.
    now: Instant,
    /// The slot polling looks at first (round robin); past the last slot, the first.
    poll_from: usize,
    /// No timer of any task is due before this instant (`NEVER`: none is armed); a timer that
    /// expired behind waiting events counts as due at [`Instant::ZERO`]. A lower bound, kept
    /// where a timer is armed (`start_task`, and `Env::arm` inside the transitions) and made
    /// exact by each scan: [`Client::handle_timeout`] skips the slots while `now` is before
    /// it.
    due: Deadline,
}

impl<S, R, const N: usize> core::fmt::Debug for Client<S, R, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client").field("config", &self.config).field("slots", &self.slots.len()).finish()
    }
}

impl<S, R, const N: usize> Client<S, R, N>
where
    S: AsRef<[u8]> + AsMut<[u8]>,
    R: Rng,
{
    /// A client with one task slot per [`Buffers`] in `storage` (the first `N` are used).
    // Inline: built where the caller keeps it. The slots hold their tasks inline (about 1 KB
    // each), and a client returned from a call out of line was copied once more (136
    // instructions of the handshake bench, which makes a client per handshake).
    #[inline]
    pub fn new(
        config: Config,
        rng: R,
        storage: impl IntoIterator<Item = Buffers<S>>,
    ) -> Result<Self, ConfigError> {
        let mut slots = heapless::Vec::new();
        for buffers in storage.into_iter().take(N) {
            check_buffers(&buffers)?;
            let _ = slots.push(Slot { buffers, task: None, inflater: Inflater::default() });
        }
        Ok(Client {
            config,
            rng,
            slots,
            next_id: 1,
            lent: None,
            poll_from: 0,
            now: Instant::ZERO,
            due: Deadline::NEVER,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many tasks can be live at once: the number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// `connectSocket` (S1–S5, S7): checks the options, queues the handshake request and
    /// returns the new task's handle. The outcome of the handshake arrives as events (S2).
    ///
    /// The error owns what it quotes of `options` (see [`ConnectError`]): it outlives them.
    pub fn connect_socket(
        &mut self,
        now: Instant,
        options: &ConnectOptions<'_>,
    ) -> Result<Handle, ConnectError> {
        self.connect_socket_url(now, options).map(|(handle, _)| handle)
    }

    /// [`Client::connect_socket`], also handing back the URL as the core parsed it: the host,
    /// port and scheme a transport connects to, without parsing the URL a second time.
    pub fn connect_socket_url<'u>(
        &mut self,
        now: Instant,
        options: &ConnectOptions<'u>,
    ) -> Result<(Handle, Url<'u>), ConnectError> {
        self.tick(now);
        self.release_lent();
        self.start_task(options, now).map_err(ConnectError::from)
    }

    /// [`Client::connect_socket`] after the clock and the lent slot are handled.
    fn start_task<'a>(
        &mut self,
        options: &ConnectOptions<'a>,
        now: Instant,
    ) -> Result<(Handle, Url<'a>), Refusal<'a>> {
        let url = Url::parse(options.url).map_err(|reason| Refusal::InvalidUrl(options.url, reason))?;
        if url.scheme() == Scheme::Ws && self.config.schemes == Schemes::SecureOnly {
            return Err(Refusal::InvalidUrl(options.url, UrlError::InsecureScheme));
        }
        find_header_refusal(options.header, self.config.forbidden_headers)?;
        find_protocol_refusal(options.protocols)?;
        if !self.config.allows_host(url.host()) {
            return Err(Refusal::NotInDomainList(url.host()));
        }
        let index = self.free_slot().ok_or(Refusal::TooManyTasks(self.slots.len()))?;
        // The task keeps the protocols it offers, joined: they must fit.
        let required = joined_len(options.protocols);
        if required > MAX_PROTOCOLS_BYTES {
            return Err(Refusal::ProtocolsTooLong { required, capacity: MAX_PROTOCOLS_BYTES });
        }
        let deflate = check_deflate_offer(options.per_message_deflate)?;
        let key = Key::generate(&mut self.rng);
        let request = Request { url: &url, key: &key, protocols: options.protocols, headers: options.header };
        let slot = self.slots.get_mut(index).ok_or(Refusal::TooManyTasks(N))?;
        let queued = queue_request(&request, deflate.as_ref(), slot.buffers.tx.as_mut())?;
        let id = NonZeroU64::new(self.next_id).ok_or(Refusal::TooManyTasks(N))?;
        self.next_id += 1;
        let connect_by = now + options.effective_timeout(self.config.connect_timeout);
        let handshake = Handshake { accept: key.accept(), connect_by, deflate };
        let lens = slot.buffers.max_lens();
        // Started in its slot, and the protocols joined there: the task is never moved.
        let (_, socket) = slot.task.insert((id, Socket::new(handshake, queued, &self.config, lens)));
        socket.offer_protocols(options.protocols);
        // The connect timer `Socket::new` armed, its only timer.
        debug_assert_eq!(socket.next_due(), Deadline::at(connect_by), "a new task's timers");
        self.due = self.due.min(Deadline::at(connect_by));
        info!(
            "socketTaskId {} connect to {} port {} ({})",
            id.get(),
            url.host(),
            url.port(),
            scheme_name(url.scheme())
        );
        Ok((Handle { id, slot: SlotIndex::try_from(index).unwrap_or(SlotIndex::MAX) }, url))
    }

    /// `SocketTask.send` (S14): queues `message` as one frame. Only in OPEN.
    ///
    /// A payload larger than the task's message limit is refused with
    /// [`SendError::MessageTooLarge`] (never fits: the smaller of
    /// [`Limits::max_message_size`](crate::Limits::max_message_size) and what the send buffer
    /// can hold); one that does not fit beside the bytes already queued with
    /// [`SendError::BufferFull`] (retry once [`Client::buffered_amount`] drops). Both count
    /// payload bytes, and a refused send changes nothing.
    pub fn send(&mut self, handle: Handle, message: Message<'_>) -> Result<(), SendError> {
        self.queue(handle, |socket, env| socket.send(env, message))
    }

    /// `SocketTask.send` of a message the caller compressed (permessage-deflate, RFC 7692
    /// §7.2.1): `compressed` is `message` as raw DEFLATE, flushed (`Z_SYNC_FLUSH`) and with
    /// the 4-byte tail `00 00 ff ff` removed, from a compressor that follows what the server
    /// accepted ([`Open::per_message_deflate`](crate::Open): `client_max_window_bits`,
    /// `client_no_context_takeover`). It goes out as one frame with RSV1 set.
    ///
    /// The core never compresses (it has no allocator for a compressor's state); a transport
    /// with one does, and may always send a message uncompressed with [`Client::send`]
    /// instead (RFC 7692 §6: it is per message). The message limit applies to `message`;
    /// [`SendError::BufferFull`] counts the compressed payload. Refused with
    /// [`SendError::NotCompressing`] when the server did not accept the extension.
    pub fn send_compressed(
        &mut self,
        handle: Handle,
        message: Message<'_>,
        compressed: &[u8],
    ) -> Result<(), SendError> {
        self.queue(handle, |socket, env| socket.send_compressed(env, message, compressed))
    }

    /// `SocketTask.send` of a binary message whose bytes the caller no longer needs: the
    /// core masks `payload` **in place** (RFC 6455 §5.3) instead of copying it into the send
    /// buffer, and queues only the frame's head (at most 14 bytes). The caller then writes
    /// the payload itself, from its own buffer, where the stream needs it:
    ///
    /// 1. write [`Client::transmit_data`] and report it with [`Client::advance_transmit`], as
    ///    always: it stops right after the head (the frames queued before come first);
    /// 2. once [`Client::in_place_due`] names a range, write `payload[range]` (the masked
    ///    bytes, unchanged) and report it with [`Client::advance_in_place`];
    /// 3. only then does `transmit_data` hand out what was queued after the head (a pong, a
    ///    close frame, later messages): no frame can land inside the payload.
    ///
    /// [`Client::buffered_amount`] counts the payload until it is written. One payload at a
    /// time: another `send_in_place` before it is written is refused with
    /// [`SendError::BufferFull`] (`available: 0`), like a head that finds no room; a payload
    /// over [`Limits::max_message_size`](crate::Limits::max_message_size) with
    /// [`SendError::MessageTooLarge`] (the send buffer's length does not bound it). A refused
    /// call changes nothing, `payload` included. If the task ends before the payload is due
    /// (failure, end of stream), `in_place_due` stays `None`: nothing more is written.
    ///
    /// ```
    /// # use core::convert::Infallible;
    /// # use sockettask::{Buffers, Client, Config, ConnectOptions, Event, Instant};
    /// # // Zeros for the handshake key (so the accept below is known), a fixed mask key.
    /// # struct Rng;
    /// # impl rand_core::TryRng for Rng {
    /// #     type Error = Infallible;
    /// #     fn try_next_u32(&mut self) -> Result<u32, Infallible> { Ok(0x3d21_fa37) }
    /// #     fn try_next_u64(&mut self) -> Result<u64, Infallible> { Ok(0x3d21_fa37) }
    /// #     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
    /// #         dst.fill(0);
    /// #         Ok(())
    /// #     }
    /// # }
    /// # let now = Instant::from_millis(0);
    /// # let storage = [Buffers::new([0u8; 1024], [0u8; 1024])];
    /// # let mut client: Client<[u8; 1024], Rng> = Client::new(Config::default(), Rng, storage)?;
    /// # let task = client.connect_socket(now, &ConnectOptions::new("wss://example.com/"))?;
    /// # let n = client.transmit_data(task).len();
    /// # client.advance_transmit(now, task, n);
    /// # client.handle_input(now, task, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    /// #     Connection: Upgrade\r\nSec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n");
    /// # assert!(matches!(client.poll_event(), Some((_, Event::Open(_)))));
    /// // An OPEN task over a 1 KiB send buffer.
    /// let mut wire = Vec::new(); // the stream
    /// let mut payload = vec![42u8; 4096]; // ours to give up: larger than the send buffer
    /// client.send_in_place(task, &mut payload).unwrap();
    /// assert_eq!(client.buffered_amount(task), 4 + 4 + 4096); // head (16-bit length, key) + payload
    /// for _ in 0..4 {
    ///     let queued = client.transmit_data(task);
    ///     wire.extend_from_slice(queued);
    ///     let n = queued.len();
    ///     client.advance_transmit(now, task, n);
    ///     if let Some(due) = client.in_place_due(task) {
    ///         wire.extend_from_slice(&payload[due.clone()]);
    ///         client.advance_in_place(now, task, due.len());
    ///     }
    /// }
    /// assert_eq!(client.buffered_amount(task), 0);
    /// assert_eq!(wire[..2], [0x82, 0x80 | 126]); // FIN + binary; masked, 16-bit length
    /// let key = [wire[4], wire[5], wire[6], wire[7]];
    /// assert!(wire[8..].iter().enumerate().all(|(i, b)| b ^ key[i % 4] == 42));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_in_place(&mut self, handle: Handle, payload: &mut [u8]) -> Result<(), SendError> {
        self.queue(handle, |socket, env| socket.send_in_place(env, payload, false))
    }

    /// [`Client::send_in_place`] of a text message: `payload` must be UTF-8 (RFC 6455
    /// §5.6), which is checked before anything else changes; bytes that are not are refused
    /// with [`SendError::InvalidUtf8`], untouched. The rest is as for binary: the core masks
    /// the bytes in place and the caller writes them when [`Client::in_place_due`] says. It
    /// takes bytes, not a `&mut str`: once masked they are no longer UTF-8.
    ///
    /// ```
    /// # use core::convert::Infallible;
    /// # use sockettask::{Buffers, Client, Config, ConnectOptions, Event, Instant, SendError};
    /// # struct Rng;
    /// # impl rand_core::TryRng for Rng {
    /// #     type Error = Infallible;
    /// #     fn try_next_u32(&mut self) -> Result<u32, Infallible> { Ok(0x3d21_fa37) }
    /// #     fn try_next_u64(&mut self) -> Result<u64, Infallible> { Ok(0x3d21_fa37) }
    /// #     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
    /// #         dst.fill(0);
    /// #         Ok(())
    /// #     }
    /// # }
    /// # let now = Instant::from_millis(0);
    /// # let storage = [Buffers::new([0u8; 1024], [0u8; 1024])];
    /// # let mut client: Client<[u8; 1024], Rng> = Client::new(Config::default(), Rng, storage)?;
    /// # let task = client.connect_socket(now, &ConnectOptions::new("wss://example.com/"))?;
    /// # let n = client.transmit_data(task).len();
    /// # client.advance_transmit(now, task, n);
    /// # client.handle_input(now, task, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    /// #     Connection: Upgrade\r\nSec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n");
    /// # assert!(matches!(client.poll_event(), Some((_, Event::Open(_)))));
    /// let mut json = String::from("{\"temperature\": 21.5, \"unit\": \"°C\"}").into_bytes();
    /// let mut broken = b"caf\xe9".to_vec(); // Latin-1, not UTF-8
    /// assert_eq!(client.send_text_in_place(task, &mut broken), Err(SendError::InvalidUtf8 { valid_up_to: 3 }));
    /// client.send_text_in_place(task, &mut json)?;
    /// let head = client.transmit_data(task);
    /// assert_eq!(head[0], 0x81); // FIN + text
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_text_in_place(&mut self, handle: Handle, payload: &mut [u8]) -> Result<(), SendError> {
        self.queue(handle, |socket, env| socket.send_in_place(env, payload, true))
    }

    /// The range of the payload given to [`Client::send_in_place`] to write now: `Some` once
    /// every byte queued before it went out ([`Client::advance_transmit`]), until all of it
    /// is reported with [`Client::advance_in_place`]; `None` otherwise.
    pub fn in_place_due(&self, handle: Handle) -> Option<Range<usize>> {
        self.live_task(handle)?.1.in_place_due()
    }

    /// `n` bytes of [`Client::in_place_due`] were written to the stream (clamped to what is
    /// due; ignored when nothing is).
    pub fn advance_in_place(&mut self, now: Instant, handle: Handle, n: usize) {
        let _ = self.on_task(now, handle, |socket, env, _| socket.in_place_written(env, n));
    }

    /// Queues a ping with up to 125 bytes of payload (RFC 6455 §5.5). Only in OPEN.
    pub fn ping(&mut self, handle: Handle, payload: &[u8]) -> Result<(), SendError> {
        self.queue(handle, |socket, env| socket.ping(env, payload))
    }

    /// Runs a queueing command on a live task; a finished task's handle reads as CLOSED.
    #[inline]
    fn queue(
        &mut self,
        handle: Handle,
        f: impl FnOnce(&mut Socket, &mut Env<'_, R>) -> Result<(), SendError>,
    ) -> Result<(), SendError> {
        self.release_lent();
        // The result goes straight back from `f`: no `Option` around it to unwrap (and copy).
        let Some((buffers, id, socket, inflater)) = live(&mut self.slots, handle) else {
            return Err(self.not_live(handle));
        };
        let mut env = Env {
            tx: buffers.tx.as_mut(),
            rng: &mut self.rng,
            config: &self.config,
            now: self.now,
            id: id.get(),
            due: &mut self.due,
            inflater,
        };
        f(socket, &mut env)
    }

    /// Why a handle that names no live task cannot send.
    #[cold]
    fn not_live(&self, handle: Handle) -> SendError {
        if self.finished(handle) { SendError::NotOpen(ReadyState::Closed) } else { SendError::UnknownHandle }
    }

    /// `SocketTask.close` (S15, S16): `code` defaults to 1000; `reason` ≤ 123 bytes.
    pub fn close(
        &mut self,
        now: Instant,
        handle: Handle,
        code: Option<CloseCode>,
        reason: &str,
    ) -> Result<(), CloseError> {
        self.on_task(now, handle, |socket, env, _| socket.close(env, code, reason)).unwrap_or_else(|| {
            Err(if self.finished(handle) { CloseError::NotConnected } else { CloseError::UnknownHandle })
        })
    }

    /// The task's `readyState` (S9); a finished task's handle reads [`ReadyState::Closed`].
    pub fn ready_state(&self, handle: Handle) -> ReadyState {
        self.live_task(handle).map_or(ReadyState::Closed, |(_, socket)| socket.ready_state())
    }

    /// Bytes queued for the wire (whole frames: headers included) and not yet taken by
    /// [`Client::advance_transmit`] or [`Client::poll_transmit`].
    pub fn buffered_amount(&self, handle: Handle) -> usize {
        self.live_task(handle).map_or(0, |(_, socket)| socket.buffered_amount())
    }

    /// The handles of every task that holds a slot, in slot order.
    pub fn handles(&self) -> impl Iterator<Item = Handle> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, slot)| {
            let (id, _) = slot.task.as_ref()?;
            Some(Handle { id: *id, slot: SlotIndex::try_from(i).ok()? })
        })
    }

    // ---- input -------------------------------------------------------------------------

    /// Bytes received from the task's stream. Returns how many were taken: fewer than given
    /// when the receive buffer is full until events are polled; keep the rest and offer it
    /// again after [`Client::poll_event`]. Bytes for a finished task are dropped (all taken).
    pub fn handle_input(&mut self, now: Instant, handle: Handle, data: &[u8]) -> usize {
        self.on_task(now, handle, |socket, env, rx| socket.input(env, rx, data)).unwrap_or(data.len())
    }

    /// The free part of the task's receive buffer, to read into in place; follow with
    /// [`Client::handle_read`]. Parses only when the buffer has no room and no event waits
    /// (parsing may make room), as an input call may (S11).
    ///
    /// Empty while the task cannot take input: until the events are polled (an event holds
    /// the buffer, or it is full of bytes not parsed yet), until a larger buffer comes when
    /// [`BufferUse::rx_wanted`] asks for one, and for good once the task is CLOSED or its
    /// stream ended. After the peer's close (or while failing) the task only waits for the
    /// end of the stream: there is room, and what is read into it is dropped, so a driver
    /// reads on until EOF without deciding anything itself.
    pub fn input_buffer(&mut self, handle: Handle) -> &mut [u8] {
        // The common case: no event on loan, and room as it is (no byte to move, nothing to
        // parse). Found with the slot borrowed briefly, so that the rest goes out of line and
        // the common call keeps no state across a call. Not on bare metal, where flash is
        // short: the general path finds the same room.
        let room = match live(&mut self.slots, handle) {
            Some((buffers, _, socket, _)) if fast_paths() && self.lent.is_none() => {
                socket.room_as_is(buffers.rx.as_mut().len())
            }
            _ => None,
        };
        let Some(range) = room else { return self.make_input_buffer(handle) };
        match self.slots.get_mut(handle.slot()) {
            Some(slot) => slot.buffers.rx.as_mut().get_mut(range).unwrap_or_default(),
            None => &mut [],
        }
    }

    /// [`Client::input_buffer`] past its common case (all of it on bare metal): ends the
    /// loan, makes room, parses.
    #[cfg_attr(not(target_os = "none"), inline(never))]
    #[cfg_attr(target_os = "none", inline(always))]
    fn make_input_buffer(&mut self, handle: Handle) -> &mut [u8] {
        self.release_lent();
        // One look-up of the slot, whose receive buffer the range is taken from (and handed
        // out of) once: the rest of the client lent to the task for the parse below.
        let Client { slots, rng, config, now, due, .. } = self;
        let Some((buffers, id, socket, mut inflater)) = live(slots, handle) else { return &mut [] };
        let rx = buffers.rx.as_mut();
        let mut parsed = false;
        loop {
            let range = socket.input_range(rx);
            if !range.is_empty() {
                return rx.get_mut(range).unwrap_or_default();
            }
            // With no room and no event waiting, parsing may still make room: with an
            // inflater the room ends at its read budget, and bytes read in behind an event
            // (parsing stops there, S11) fill that budget unparsed until the event is polled;
            // or an inflater that stopped for output room goes on in a replaced buffer. Give
            // it the chance, once, so that an empty buffer always means an event to poll, a
            // request for a larger buffer, or a task that reads no more
            // (`t_input_buffer_room.rs`).
            if parsed || socket.has_event() {
                return &mut [];
            }
            let env = Env {
                tx: buffers.tx.as_mut(),
                rng: &mut *rng,
                config,
                now: *now,
                id: id.get(),
                due: &mut *due,
                inflater: relend(&mut inflater),
            };
            parse_for_room(socket, env, rx);
            parsed = true;
        }
    }

    /// `n` bytes were read into [`Client::input_buffer`].
    // Inline on hosted targets, as `input_buffer` and `poll_event` are: the common case is
    // short, and a call costs the message more than its code.
    #[cfg_attr(not(target_os = "none"), inline)]
    pub fn handle_read(&mut self, now: Instant, handle: Handle, n: usize) {
        self.tick(now);
        if fast_paths() && self.lent.is_some() {
            return self.handle_read_lent(handle, n);
        }
        self.release_lent();
        // The common case (a whole message in one frame) without the rest of the task's
        // context; anything else is parsed with it.
        let Some((buffers, _, socket, _)) = live(&mut self.slots, handle) else { return };
        if !socket.input_written_alone(buffers.rx.as_mut(), n) {
            self.parse_next_event(handle.slot());
        }
    }

    /// [`Client::handle_read`] while an event is on loan: ends it first. Out of line, so
    /// that the common call keeps no state across a call.
    #[cold]
    #[inline(never)]
    fn handle_read_lent(&mut self, handle: Handle, n: usize) {
        self.release_lent_slot();
        self.handle_read(self.now, handle, n);
    }

    /// The task's stream ended (the peer closed it). Applied after the bytes already given.
    pub fn handle_eof(&mut self, now: Instant, handle: Handle) {
        self.end_stream(now, handle, StreamEnd::Eof);
    }

    /// The task's stream failed (DNS, connect, TLS, reset, I/O).
    pub fn handle_transport_error(&mut self, now: Instant, handle: Handle, error: TransportError) {
        self.end_stream(now, handle, StreamEnd::Error(error));
    }

    fn end_stream(&mut self, now: Instant, handle: Handle, end: StreamEnd) {
        let _ = self.on_task(now, handle, |socket, env, rx| socket.stream_end(env, rx, end));
    }

    /// Applies every timer due at `now` (connect and close timeouts). Cheap when none can be
    /// due: the client keeps the earliest instant one can be, and looks at no task before it.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        self.release_lent();
        if !self.due.is_due(now) {
            // Nothing can be due: every timer is at or after `due` (see the field).
            debug_assert!(
                (0..self.slots.len())
                    .all(|i| self.socket(i).is_none_or(|socket| !socket.next_due().is_due(now))),
                "a timer is due before the client's bound"
            );
            return;
        }
        self.scan_timers(now);
    }

    /// [`Client::handle_timeout`] when a timer may be due: every slot, then the exact bound.
    /// Out of line, so the call that skips stays small.
    #[inline(never)]
    fn scan_timers(&mut self, now: Instant) {
        let mut next = Deadline::NEVER;
        let Client { slots, rng, config, due, .. } = self;
        for Slot { buffers, task, inflater } in slots.iter_mut() {
            let Some((id, socket)) = task else { continue };
            let tx = buffers.tx.as_mut();
            socket.timeout(&mut Env {
                tx,
                rng: &mut *rng,
                config,
                now,
                id: id.get(),
                due: &mut *due,
                inflater: lend(inflater),
            });
            next = next.min(socket.next_due());
        }
        *due = next;
    }

    // ---- output ------------------------------------------------------------------------

    /// When [`Client::handle_timeout`] must be called next, if any timer is armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let due = self.slots.iter().fold(Deadline::NEVER, |due, slot| match &slot.task {
            Some((_, socket)) => due.min(socket.poll_timeout()),
            None => due,
        });
        due.instant()
    }

    /// Copies bytes for the task's stream into `out`; returns how many (0: nothing to send,
    /// or a payload sent in place is due: [`Client::in_place_due`]).
    pub fn poll_transmit(&mut self, now: Instant, handle: Handle, out: &mut [u8]) -> usize {
        let data = self.transmit_data(handle);
        let n = data.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.advance_transmit(now, handle, n);
        n
    }

    /// The bytes waiting for the task's stream, for a driver that writes in place; follow
    /// with [`Client::advance_transmit`] for what was written. They stop at a payload sent
    /// with [`Client::send_in_place`], which the caller writes itself
    /// ([`Client::in_place_due`]) before the bytes after it are handed out.
    pub fn transmit_data(&self, handle: Handle) -> &[u8] {
        match self.live_task(handle) {
            Some((buffers, socket)) => socket.transmit_data(buffers.tx.as_ref()),
            None => &[],
        }
    }

    /// `n` bytes of [`Client::transmit_data`] were written to the stream.
    pub fn advance_transmit(&mut self, now: Instant, handle: Handle, n: usize) {
        self.tick(now);
        self.release_lent();
        let Client { slots, rng, config, due, .. } = self;
        let Some((buffers, id, socket, inflater)) = live(slots, handle) else { return };
        // The common case, without the rest of the task's context: bytes taken, no pong
        // waiting for the room, not FAILING.
        if socket.take_transmitted(n) {
            socket.after_transmitted(&mut Env {
                tx: buffers.tx.as_mut(),
                rng,
                config,
                now,
                id: id.get(),
                due,
                inflater,
            });
        }
    }

    /// Whether [`Client::poll_event`] has an event to return. Takes `&mut self` because,
    /// like polling, it ends the loan of the last polled event and parses buffered bytes up
    /// to the next event.
    pub fn has_event(&mut self) -> bool {
        self.release_lent();
        (0..self.slots.len()).any(|i| self.next_event_ready(i))
    }

    /// The next event of any task. Borrowed data (headers, messages) stays valid until the
    /// next call on the client; a CLOSED task's slot is freed once its last event was polled.
    ///
    /// State follows event order (S11): bytes buffered behind the previous event (a close
    /// frame, a protocol error) take effect here, not in the commands made while handling
    /// it. That parsing arms timers from the latest `now` the client was given: a driver that
    /// calls [`Client::handle_timeout`] on every turn (cheap when nothing is due) keeps that
    /// time current.
    #[cfg_attr(not(target_os = "none"), inline)]
    pub fn poll_event(&mut self) -> Option<(Handle, Event<'_>)> {
        if fast_paths() && self.lent.is_some() {
            return self.poll_event_lent();
        }
        self.release_lent();
        // `poll_from` may name the slot past the last one: the first, then.
        let from = if self.poll_from < self.slots.len() { self.poll_from } else { 0 };
        // The common case first, without the loop: an event waits in the first slot to look
        // at. A message is handed out from there, inline in the caller (a text with one call,
        // its check); any other event out of line. Not on bare metal, where flash is short:
        // the loop finds it too, and one copy of `hand_out` serves.
        if fast_paths()
            && let Some(socket) = self.socket(from)
            && socket.has_event()
        {
            return if socket.text_waits() {
                self.hand_out_text(from)
            } else if socket.binary_waits() {
                self.hand_out_binary(from)
            } else {
                self.hand_out_at(from)
            };
        }
        self.poll_next()
    }

    /// [`Client::poll_event`] past its common case (all of it on bare metal): the next slot
    /// with an event, handed out.
    #[cfg_attr(not(target_os = "none"), inline(never))]
    #[cfg_attr(target_os = "none", inline(always))]
    fn poll_next(&mut self) -> Option<(Handle, Event<'_>)> {
        let index = self.next_event_slot()?;
        // As in `poll_event`: a binary message without a call, any other event out of line.
        if fast_paths() {
            let binary = self.socket(index).is_some_and(Socket::binary_waits);
            return if binary { self.hand_out_binary(index) } else { self.hand_out_at(index) };
        }
        self.hand_out(index)
    }

    /// [`Client::hand_out`], out of line (for [`Client::poll_event`]'s common case).
    #[inline(never)]
    fn hand_out_at(&mut self, index: usize) -> Option<(Handle, Event<'_>)> {
        self.hand_out(index)
    }

    /// [`Client::hand_out`] of the binary message that waits in slot `index`
    /// ([`Socket::binary_waits`]): no call, no UTF-8 to check.
    #[inline(always)]
    fn hand_out_binary(&mut self, index: usize) -> Option<(Handle, Event<'_>)> {
        self.poll_from = index + 1;
        let slot_index = SlotIndex::try_from(index).ok()?;
        let Slot { buffers, task, .. } = self.slots.get_mut(index)?;
        let (id, socket) = task.as_mut()?;
        let handle = Handle { id: *id, slot: slot_index };
        let message = Message::Binary(socket.pop_held(buffers.rx.as_ref()));
        // A task with a message to hand out is not CLOSED (parsing stops while an event
        // waits; commands and timers do not close a task that reads): nothing to free.
        debug_assert!(!socket.is_finished(), "a finished task handed out a message");
        Some((handle, Event::Message(message)))
    }

    /// [`Client::hand_out`] of the text message that waits in slot `index`
    /// ([`Socket::text_waits`]): its loan ended, validated, handed out; as the general path
    /// does, a text that is not UTF-8 fails the task, and the next event comes instead.
    #[inline(always)]
    fn hand_out_text(&mut self, index: usize) -> Option<(Handle, Event<'_>)> {
        self.poll_from = index + 1;
        let slot_index = SlotIndex::try_from(index).ok()?;
        let Client { slots, rng, config, now, due, lent, .. } = self;
        let Slot { buffers, task, inflater } = slots.get_mut(index)?;
        let (id, socket) = task.as_mut()?;
        let handle = Handle { id: *id, slot: slot_index };
        let bytes = socket.pop_held(buffers.rx.as_ref());
        // Not CLOSED (see `hand_out_binary`).
        debug_assert!(!socket.is_finished(), "a finished task handed out a message");
        if let Some(text) = crate::utf8::text(bytes) {
            return Some((handle, Event::Message(Message::Text(text))));
        }
        *lent = Some(index);
        let env = Env {
            tx: buffers.tx.as_mut(),
            rng,
            config,
            now: *now,
            id: id.get(),
            due,
            inflater: lend(inflater),
        };
        invalid_text(socket, env, buffers.rx.as_ref()).map(|event| (handle, event))
    }

    /// [`Client::poll_event`] while an event is on loan: ends it first. Out of line, so
    /// that the common call keeps no state across a call.
    #[cold]
    #[inline(never)]
    fn poll_event_lent(&mut self) -> Option<(Handle, Event<'_>)> {
        self.release_lent_slot();
        self.poll_event()
    }

    /// The first slot from `poll_from` on, wrapping around, with an event ready (round
    /// robin: one busy task cannot starve the others). Out of line: the first slot looked at
    /// has the event, commonly (see [`Client::poll_event`]). Not on bare metal, where inline
    /// it is smaller.
    #[cfg_attr(not(target_os = "none"), inline(never))]
    fn next_event_slot(&mut self) -> Option<usize> {
        let len = self.slots.len();
        let mut index = self.poll_from;
        for _ in 0..len {
            if index >= len {
                index = 0;
            }
            if self.next_event_ready(index) {
                return Some(index);
            }
            index += 1;
        }
        None
    }

    /// [`Client::poll_event`] of slot `index`, where an event waits. Inline: the common call
    /// knows the slot holds a task.
    #[inline(always)]
    fn hand_out(&mut self, index: usize) -> Option<(Handle, Event<'_>)> {
        self.poll_from = index + 1;
        let slot_index = SlotIndex::try_from(index).ok()?;
        let Slot { buffers, task, inflater } = self.slots.get_mut(index)?;
        let (id, socket) = task.as_mut()?;
        let handle = Handle { id: *id, slot: slot_index };
        // A message ends its loan here already (see `Socket::pop_message`): nothing to
        // release at the next call. Not on bare metal ([`fast_paths`]), where `pop_event`
        // hands out messages too (and ends their loan the same way).
        if fast_paths()
            && let Some(message) = socket.pop_message(buffers.rx.as_ref())
        {
            // A task with a message to hand out is not CLOSED (see `hand_out_binary`).
            debug_assert!(!socket.is_finished(), "a finished task handed out a message");
            return Some((handle, Event::Message(message)));
        }
        self.lent = Some(index);
        let env = Env {
            tx: buffers.tx.as_mut(),
            rng: &mut self.rng,
            config: &self.config,
            now: self.now,
            id: id.get(),
            due: &mut self.due,
            inflater: lend(inflater),
        };
        pop_event(socket, env, buffers.rx.as_ref()).map(|event| (handle, event))
    }

    /// Parses slot `index`'s buffered bytes up to its next event; whether one waits. An
    /// empty slot (commonly most of them) is passed over without the call that parses.
    fn next_event_ready(&mut self, index: usize) -> bool {
        match self.socket(index) {
            Some(socket) => socket.has_event() || self.parse_next_event(index),
            None => false,
        }
    }

    /// [`Client::next_event_ready`] when no event waits yet: parses. Out of line, so polling
    /// an event that waits stays small.
    #[inline(never)]
    fn parse_next_event(&mut self, index: usize) -> bool {
        self.with(index, self.now, |socket, env, rx| {
            socket.pump(env, rx);
            socket.has_event()
        })
        .unwrap_or(false)
    }

    // ---- buffers -------------------------------------------------------------------------

    /// What the task in slot `slot` (see [`Handle::slot`]) holds in its buffers, and whether
    /// it waits for a larger receive buffer; all zero for a free slot.
    pub fn buffer_use(&self, slot: usize) -> BufferUse {
        match self.slots.get(slot) {
            Some(Slot { buffers, task: Some((_, socket)), .. }) => {
                socket.buffer_use(buffers.rx.as_ref().len())
            }
            _ => BufferUse::default(),
        }
    }

    /// The send-buffer length with which `send` of a `len`-byte payload would be queued now,
    /// beside the bytes already queued: for a caller that grows the buffer on
    /// [`SendError::BufferFull`] (up to the bound of [`Buffers::growable`]). 0 for a handle
    /// that is not live.
    pub fn send_buffer_len_for(&self, handle: Handle, len: usize) -> usize {
        self.live_task(handle).map_or(0, |(_, socket)| socket.send_buffer_len_for(len))
    }

    /// The buffers of slot `slot`, to read their lengths.
    pub fn buffers(&self, slot: usize) -> Option<&Buffers<S>> {
        self.slots.get(slot).map(|s| &s.buffers)
    }

    /// Replaces the buffers of slot `slot` between calls, moving what the task there holds
    /// into them, and returns the old ones; the growth bounds stay the slot's. Larger
    /// buffers let a task waiting on [`BufferUse::rx_wanted`] go on; smaller ones give
    /// memory back. Ends the loan of the last polled event, like any command.
    ///
    /// Refused, handing `buffers` back unchanged, when the slot does not exist, a buffer is
    /// shorter than [`MIN_BUFFER_LEN`] or than what it must hold ([`Client::buffer_use`]).
    pub fn replace_buffers(&mut self, slot: usize, buffers: Buffers<S>) -> Result<Buffers<S>, Buffers<S>> {
        self.release_lent();
        if check_buffers(&buffers).is_err() {
            return Err(buffers);
        }
        let Some(Slot { buffers: old, task, .. }) = self.slots.get_mut(slot) else { return Err(buffers) };
        let mut new = old.same_bounds(buffers);
        if let Some((_, socket)) = task.as_mut() {
            let from = (old.rx.as_ref(), old.tx.as_ref());
            if !socket.relocate(from, (new.rx.as_mut(), new.tx.as_mut())) {
                return Err(new);
            }
        }
        Ok(core::mem::replace(old, new))
    }

    // ---- internals ---------------------------------------------------------------------

    /// The common path of every input and command: take `now` in, end the last event's loan,
    /// then run `f` on the task `handle` names; `None` when it is not live.
    #[inline]
    fn on_task<T>(
        &mut self,
        now: Instant,
        handle: Handle,
        f: impl FnOnce(&mut Socket, &mut Env<'_, R>, &mut [u8]) -> T,
    ) -> Option<T> {
        self.tick(now);
        self.release_lent();
        let Client { slots, rng, config, due, .. } = self;
        let (buffers, id, socket, inflater) = live(slots, handle)?;
        let mut env = Env { tx: buffers.tx.as_mut(), rng, config, now, id: id.get(), due, inflater };
        Some(f(socket, &mut env, buffers.rx.as_mut()))
    }

    /// Records the caller's `now` (kept monotonic) for the work of calls that take none.
    /// Every input and most commands start here: inline on hosted targets, one copy on bare
    /// metal (a 64-bit compare is long there), where flash is short.
    #[cfg_attr(not(target_os = "none"), inline)]
    #[cfg_attr(target_os = "none", inline(never))]
    fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    /// Whether `handle`, which names no live task, was issued by this client: its task is
    /// over (its slot may serve another task now), rather than a handle it never issued.
    /// Out of line on hosted targets: only refusals ask, and inline it made the send path
    /// longer (not on bare metal, where inline it is smaller).
    #[cfg_attr(not(target_os = "none"), inline(never))]
    fn finished(&self, handle: Handle) -> bool {
        handle.id.get() < self.next_id && handle.slot() < self.slots.len()
    }

    /// The task `handle` names and its buffers, while it is live (the slot still holds that
    /// task): one look-up, for the queries.
    #[cfg_attr(not(target_os = "none"), inline)]
    #[cfg_attr(target_os = "none", inline(never))]
    fn live_task(&self, handle: Handle) -> Option<(&Buffers<S>, &Socket)> {
        match self.slots.get(handle.slot()) {
            Some(Slot { buffers, task: Some((id, socket)), .. }) if *id == handle.id => {
                Some((buffers, socket))
            }
            _ => None,
        }
    }

    #[inline]
    fn socket(&self, index: usize) -> Option<&Socket> {
        self.slots.get(index)?.task.as_ref().map(|(_, socket)| socket)
    }

    fn free_slot(&self) -> Option<usize> {
        self.slots.iter().position(|s| s.task.is_none())
    }

    /// Runs `f` on the live task in slot `index` with its buffers (the receive buffer apart:
    /// transitions never see it); `None` for an empty slot.
    #[inline]
    fn with<T>(
        &mut self,
        index: usize,
        now: Instant,
        f: impl FnOnce(&mut Socket, &mut Env<'_, R>, &mut [u8]) -> T,
    ) -> Option<T> {
        let Slot { buffers, task, inflater } = self.slots.get_mut(index)?;
        let (id, socket) = task.as_mut()?;
        let mut env = Env {
            tx: buffers.tx.as_mut(),
            rng: &mut self.rng,
            config: &self.config,
            now,
            id: id.get(),
            due: &mut self.due,
            inflater: lend(inflater),
        };
        Some(f(socket, &mut env, buffers.rx.as_mut()))
    }

    /// Ends the loan of the last polled event (parsing nothing: S11); frees the slot of a
    /// task that is over. Every call starts here: the check is inline, the work not (on
    /// bare metal, where flash is short, both are one copy).
    #[cfg_attr(not(target_os = "none"), inline)]
    #[cfg_attr(target_os = "none", inline(never))]
    fn release_lent(&mut self) {
        if self.lent.is_some() {
            self.release_lent_slot();
        }
    }

    /// [`Client::release_lent`] when an event is on loan. Out of line on hosted targets (on
    /// bare metal, inline it is smaller).
    #[cfg_attr(not(target_os = "none"), inline(never))]
    fn release_lent_slot(&mut self) {
        let Some(index) = self.lent.take() else { return };
        if let Some(slot) = self.slots.get_mut(index)
            && let Some((_, socket)) = slot.task.as_mut()
        {
            socket.release();
            if socket.is_finished() {
                slot.task = None;
                // With `alloc`, the inflater's state goes with the task.
                #[cfg(all(feature = "deflate", feature = "alloc"))]
                slot.inflater.release();
            }
        }
    }
}

/// [`Client::poll_event`] of every event but a message ready as it is: out of line, so the
/// common case inlines into the caller small (not on bare metal: all of it is the general
/// path there, and inline it is smaller).
#[cfg_attr(not(target_os = "none"), inline(never))]
fn pop_event<'b, R: Rng>(socket: &'b mut Socket, mut env: Env<'_, R>, rx: &'b [u8]) -> Option<Event<'b>> {
    socket.pop_event(&mut env, rx)
}

/// [`Client::hand_out_text`] of a text message that is not UTF-8: the general path, out of
/// line.
#[cold]
#[inline(never)]
fn invalid_text<'b, R: Rng>(socket: &'b mut Socket, mut env: Env<'_, R>, rx: &'b [u8]) -> Option<Event<'b>> {
    socket.invalid_text(&mut env, rx)
}

/// [`Client::input_buffer`] when the task has no room and no event waits: the general parse
/// alone (its common case, a whole message in one frame, gives what it does). Out of line,
/// so the call that finds room stays small (not on bare metal, where inline it is smaller).
#[cfg_attr(not(target_os = "none"), inline(never))]
fn parse_for_room<R: Rng>(socket: &mut Socket, mut env: Env<'_, R>, rx: &mut [u8]) {
    socket.pump_all(&mut env, rx);
}

/// `handle`'s slot, its task's id and the task, when the slot still holds that task:
/// found in one step, for the calls every message makes.
#[cfg_attr(not(target_os = "none"), inline)]
#[cfg_attr(target_os = "none", inline(never))]
fn live<S, const N: usize>(
    slots: &mut heapless::Vec<Slot<S>, N>,
    handle: Handle,
) -> Option<(&mut Buffers<S>, NonZeroU64, &mut Socket, InflaterMut<'_>)> {
    match slots.get_mut(handle.slot()) {
        Some(Slot { buffers, task: Some((id, socket)), inflater }) if *id == handle.id => {
            Some((buffers, *id, socket, lend(inflater)))
        }
        _ => None,
    }
}

fn check_buffers<S: AsRef<[u8]>>(buffers: &Buffers<S>) -> Result<(), ConfigError> {
    let (rx, tx) = (buffers.rx.as_ref().len(), buffers.tx.as_ref().len());
    if rx < MIN_BUFFER_LEN {
        return Err(ConfigError::ReceiveBufferTooSmall { required: MIN_BUFFER_LEN, capacity: rx });
    }
    if tx < MIN_BUFFER_LEN.max(DATA_RESERVE) {
        return Err(ConfigError::SendBufferTooSmall { required: MIN_BUFFER_LEN, capacity: tx });
    }
    Ok(())
}

/// The `permessage-deflate` offer to send: checked (RFC 7692 §7 values), and refused when the
/// core was built without the `deflate` feature, which inflates what the server compresses.
fn check_deflate_offer(
    offer: Option<PerMessageDeflate>,
) -> Result<Option<PerMessageDeflate>, Refusal<'static>> {
    let Some(offer) = offer else { return Ok(None) };
    offer.validate().map_err(Refusal::InvalidDeflateOffer)?;
    if cfg!(feature = "deflate") {
        Ok(Some(offer))
    } else {
        Err(Refusal::InvalidDeflateOffer(DeflateOfferError::NotBuilt))
    }
}

fn queue_request(
    request: &Request<'_>,
    deflate: Option<&PerMessageDeflate>,
    tx: &mut [u8],
) -> Result<usize, Refusal<'static>> {
    let capacity = tx.len();
    // Written once: a buffer too short says how long the request is.
    let len = request
        .encode_with(deflate, tx)
        .map_err(|required| Refusal::RequestTooLarge { required, capacity })?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    //! The per-message calls' common cases ([`fast_paths`], taken on hosted targets) against
    //! the general path that bare metal takes alone: two clients take the same script
    //! (server frames in any chunking, polls, sends, `close()`, timers, the end of the
    //! stream), one as on hosted targets, the other as on bare metal ([`general`]); they must
    //! hand out the same events and hold the same state after every step.

    extern crate std;

    use std::convert::Infallible;
    use std::format;
    use std::string::String;
    use std::vec;
    use std::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::socket::general;

    /// Zeros for the handshake key (so the accept below is known), a counter for mask keys.
    #[derive(Clone)]
    struct ZeroKey(u32);

    impl rand_core::TryRng for ZeroKey {
        type Error = Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            self.0 = self.0.wrapping_add(0x9E37_79B9);
            Ok(self.0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            Ok(u64::from(self.try_next_u32()?))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            dst.fill(0);
            Ok(())
        }
    }

    type TestClient = Client<Vec<u8>, ZeroKey, 2>;

    /// An OPEN task whose `Open` event was polled.
    fn open() -> (TestClient, Handle) {
        let now = Instant::ZERO;
        // Two slots, one task: polls alternate between finding its event in the first slot
        // looked at and finding it by the loop.
        let storage =
            [Buffers::new(vec![0u8; 600], vec![0u8; 1024]), Buffers::new(vec![0u8; 600], vec![0u8; 1024])];
        let mut client = TestClient::new(Config::default(), ZeroKey(0), storage).unwrap();
        let task = client.connect_socket(now, &ConnectOptions::new("wss://example.com/")).unwrap();
        let n = client.transmit_data(task).len();
        client.advance_transmit(now, task, n);
        client.handle_input(
            now,
            task,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n",
        );
        assert!(matches!(client.poll_event(), Some((_, Event::Open(_)))));
        (client, task)
    }

    /// A server frame (unmasked) with a 7- or 16-bit length.
    fn frame(b0: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![b0];
        match payload.len() {
            n @ 0..=125 => out.push(n as u8),
            n => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    fn frames() -> impl Strategy<Value = Vec<u8>> {
        let text =
            prop::sample::select(&["", "hi", "κόσμε", "🌍 naïve café", "abcdefghijklmnopqrstuvwxyz"][..]);
        let one = prop_oneof![
            4 => (text.clone(), any::<bool>()).prop_map(|(t, fin)| frame(if fin { 0x81 } else { 0x01 }, t.as_bytes())),
            4 => (0usize..300, any::<u8>()).prop_map(|(n, b)| frame(0x82, &vec![b; n])),
            2 => (text, any::<bool>()).prop_map(|(t, fin)| frame(if fin { 0x80 } else { 0x00 }, t.as_bytes())),
            1 => (0usize..20).prop_map(|n| frame(0x89, &vec![b'p'; n])),
            1 => Just(frame(0x8A, b"pong")),
            1 => Just(frame(0x88, &1000u16.to_be_bytes())),
            1 => Just(frame(0x81, &[b'a', 0xED, 0xA0, 0x80])),
            1 => Just(frame(0xC2, b"rsv1")),
        ];
        prop::collection::vec(one, 0..12).prop_map(|frames| frames.concat())
    }

    #[derive(Clone, Debug)]
    enum Step {
        Read(usize),
        Poll,
        Send(u8),
        Close,
        Timeout(u64),
        Eof,
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            8 => (1usize..400).prop_map(Step::Read),
            6 => Just(Step::Poll),
            1 => any::<u8>().prop_map(Step::Send),
            1 => Just(Step::Close),
            1 => (0u64..40_000).prop_map(Step::Timeout),
            1 => Just(Step::Eof),
        ];
        prop::collection::vec(step, 1..60)
    }

    fn describe(polled: Option<(Handle, Event<'_>)>) -> String {
        format!("{polled:?}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_fast_paths_agree_with_the_general_ones(wire in frames(), steps in steps()) {
            let (mut fast, task) = open();
            let (mut slow, _) = general(open);
            let mut now = Instant::ZERO;
            let mut delivered = 0;
            for step in steps {
                match step {
                    Step::Read(n) => {
                        let room = fast.input_buffer(task);
                        let take = room.len().min(n).min(wire.len() - delivered);
                        let bytes = &wire[delivered..delivered + take];
                        room[..take].copy_from_slice(bytes);
                        let room_len = room.len();
                        let slow_room = general(|| {
                            let room = slow.input_buffer(task);
                            let n = take.min(room.len());
                            room[..n].copy_from_slice(&bytes[..n]);
                            room.len()
                        });
                        prop_assert_eq!(room_len, slow_room);
                        delivered += take;
                        fast.handle_read(now, task, take);
                        general(|| slow.handle_read(now, task, take));
                    }
                    Step::Poll => {
                        let got = describe(fast.poll_event());
                        let want = general(|| describe(slow.poll_event()));
                        prop_assert_eq!(got, want);
                    }
                    Step::Send(byte) => {
                        let a = fast.send(task, Message::Binary(&[byte; 9]));
                        let b = general(|| slow.send(task, Message::Binary(&[byte; 9])));
                        prop_assert_eq!(a, b);
                    }
                    Step::Close => {
                        let a = fast.close(now, task, None, "bye");
                        let b = general(|| slow.close(now, task, None, "bye"));
                        prop_assert_eq!(a, b);
                    }
                    Step::Timeout(ms) => {
                        now = Instant::from_millis(now.millis() + ms);
                        fast.handle_timeout(now);
                        general(|| slow.handle_timeout(now));
                    }
                    Step::Eof => {
                        fast.handle_eof(now, task);
                        general(|| slow.handle_eof(now, task));
                    }
                }
                prop_assert_eq!(fast.ready_state(task), general(|| slow.ready_state(task)));
                prop_assert_eq!(fast.buffer_use(0), general(|| slow.buffer_use(0)));
                let queued = general(|| slow.transmit_data(task).to_vec());
                prop_assert_eq!(fast.transmit_data(task), queued.as_slice());
                prop_assert_eq!(fast.poll_timeout(), general(|| slow.poll_timeout()));
            }
        }
    }
}
