//! The task table: up to `N` tasks (default 5, S3.5) over caller-owned buffers, addressed by
//! generation-checked [`Handle`]s. Every public command and input of the core is a method of
//! [`Client`]: the commands, the buffers and the table's internals here, the input (bytes,
//! the stream's end, time) in `input`, the output (bytes to send, timers, events) in `output`.

use core::num::NonZeroU64;
use core::ops::Range;

use rand_core::Rng;

use crate::MAX_PROTOCOLS_BYTES;
use crate::buffers::{BufferUse, Buffers};
use crate::close_code::CloseCode;
use crate::config::{Config, ConnectOptions, MIN_BUFFER_LEN, Schemes};
use crate::error::{CloseError, ConfigError, ConnectError, Refusal, SendError, UrlError};
use crate::event::Message;
use crate::handshake::extension::{DeflateOfferError, PerMessageDeflate};
use crate::handshake::request::{find_header_refusal, find_protocol_refusal};
use crate::handshake::{Key, Request};
use crate::log::{info, scheme_name};
use crate::ready_state::ReadyState;
use crate::socket::{Env, Handshake, Inflater, InflaterMut, Socket, joined_len, lend};
use crate::time::{Deadline, Instant};
use crate::transmit::DATA_RESERVE;
use crate::url::{Scheme, Url};

mod input;
mod output;
#[cfg(test)]
mod tests;

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
        // Each check is a call only when it has something to check: most tasks set no header
        // and offer no protocol (code the path skips is code the processor need not fetch:
        // benches/README, sixth round); `allows_host` answers for no domain list inline.
        if !options.header.is_empty() {
            find_header_refusal(options.header, self.config.forbidden_headers)?;
        }
        if !options.protocols.is_empty() {
            find_protocol_refusal(options.protocols)?;
        }
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
        let lens = slot.buffers.max_lens();
        // Started in its slot, and the protocols joined there: the task is never moved.
        let handshake = Handshake { accept: key.accept(), connect_by, deflate };
        let socket = start_in(&mut slot.task, id, handshake, queued, &self.config, lens);
        if !options.protocols.is_empty() {
            socket.offer_protocols(options.protocols);
        }
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

/// Starts task `id` in its slot's place (`task`, free): the socket is built there, where it
/// stays, and handed back to have its protocols joined in place.
///
/// Out of line on hosted targets, which is what writes every field in place: inlined into
/// [`Client::connect_socket`], the optimiser built parts of the new socket on the stack (the
/// expected accept, the receive state, the phase) and copied them in with 16-byte loads that
/// straddle the smaller stores that had just built them. Such a load waits until those
/// stores have reached the cache (store-to-load forwarding fails): 2–4 % of an in-memory
/// handshake, over code layouts (benches/README, eleventh round). Inline on bare metal,
/// where it is one call less of flash.
#[cfg_attr(not(target_os = "none"), inline(never))]
#[cfg_attr(target_os = "none", inline(always))]
fn start_in<'s>(
    task: &'s mut Option<(NonZeroU64, Socket)>,
    id: NonZeroU64,
    handshake: Handshake,
    queued: usize,
    config: &Config,
    lens: (usize, usize),
) -> &'s mut Socket {
    &mut task.insert((id, Socket::new(handshake, queued, config, lens))).1
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
#[cfg_attr(not(target_os = "none"), inline)]
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

#[cfg_attr(not(target_os = "none"), inline)]
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
