//! The ready-made loop: a [`Client`] owns a `mio::Poll`, runs the [`Driver`] and calls each
//! task's listeners (`onOpen`, `onMessage`, `onError`, `onClose`) in the order added.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use sockettask::{
    Close, CloseCode, ConnectError, ConnectOptions, Event, Headers, Message, Negotiated, Open, TaskError,
};

use crate::driver::Driver;
use crate::error::{PollError, SetupError};
use crate::options::Options;
use crate::task::SocketTask;

/// Events delivered per turn at most, so a flood cannot keep `poll` from returning.
const MAX_EVENTS_PER_TURN: usize = 1024;

type OpenListener<T> = Box<dyn FnMut(&mut Client<T>, SocketTask, &Open<'_>)>;
type MessageListener<T> = Box<dyn FnMut(&mut Client<T>, SocketTask, Message<'_>)>;
type ErrorListener<T> = Box<dyn FnMut(&mut Client<T>, SocketTask, &TaskError)>;
type CloseListener<T> = Box<dyn FnMut(&mut Client<T>, SocketTask, &Close<'_>)>;

/// The listeners of one task.
struct Listeners<T> {
    open: Vec<OpenListener<T>>,
    message: Vec<MessageListener<T>>,
    error: Vec<ErrorListener<T>>,
    close: Vec<CloseListener<T>>,
}

// By hand: a derive would ask for `T: Default`.
impl<T> Default for Listeners<T> {
    fn default() -> Self {
        Listeners { open: Vec::new(), message: Vec::new(), error: Vec::new(), close: Vec::new() }
    }
}

impl<T> Listeners<T> {
    fn append(&mut self, mut added: Listeners<T>) {
        self.open.append(&mut added.open);
        self.message.append(&mut added.message);
        self.error.append(&mut added.error);
        self.close.append(&mut added.close);
    }
}

/// Where a copied event's data lives: bytes (headers, binary messages) and text (text
/// messages, close reasons, the chosen subprotocol), the text kept as `String` so it is not
/// validated a second time.
#[derive(Default)]
struct Scratch {
    bytes: Vec<u8>,
    text: String,
}

/// An event copied out of the core into the client's scratch buffers, so listeners can use
/// the client (send, close, connect) while they look at it.
enum Copied {
    Open { protocol: bool, deflate: Option<Negotiated> },
    Text,
    Binary,
    Error(TaskError),
    Close(CloseCode),
}

impl Copied {
    fn of(event: &Event<'_>, scratch: &mut Scratch) -> Copied {
        scratch.bytes.clear();
        scratch.text.clear();
        match event {
            Event::Open(open) => {
                // The core's parsed header lines, copied as they are (`Headers::as_bytes`):
                // no second parser reads them.
                scratch.bytes.extend_from_slice(open.header.as_bytes());
                scratch.text.push_str(open.protocol.unwrap_or_default());
                Copied::Open { protocol: open.protocol.is_some(), deflate: open.per_message_deflate }
            }
            Event::Message(Message::Text(text)) => {
                scratch.text.push_str(text);
                Copied::Text
            }
            Event::Message(Message::Binary(bytes)) => {
                scratch.bytes.extend_from_slice(bytes);
                Copied::Binary
            }
            Event::Error(e) => Copied::Error(*e),
            Event::Close(close) => {
                scratch.text.push_str(close.reason);
                Copied::Close(close.code)
            }
        }
    }

    fn view<'s>(&self, scratch: &'s Scratch) -> Event<'s> {
        match *self {
            Copied::Open { protocol, deflate } => Event::Open(Open {
                header: Headers::new(&scratch.bytes),
                protocol: protocol.then_some(scratch.text.as_str()),
                per_message_deflate: deflate,
            }),
            Copied::Text => Event::Message(Message::Text(&scratch.text)),
            Copied::Binary => Event::Message(Message::Binary(&scratch.bytes)),
            Copied::Error(e) => Event::Error(e),
            Copied::Close(code) => Event::Close(Close { code, reason: &scratch.text }),
        }
    }
}

/// Why [`Client::run_for`] or [`Client::run_until`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunEnd {
    /// Nothing is left: every task is CLOSED and its last event delivered
    /// ([`Client::is_idle`]), as when [`Client::run`] returns.
    Idle,
    /// The deadline passed with tasks still running; run again, or close them.
    Deadline,
}

/// SocketTasks with their own event loop: connect, add listeners, then [`Client::run`] (or
/// [`Client::run_for`], which cannot outlast its deadline).
///
/// `T` is the app's state, `()` by default ([`Client::new`]); [`Client::with_state`] sets
/// one, and every listener reaches it through the client it is given
/// ([`Client::state_mut`]), so listeners need no `Rc<RefCell<…>>`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use sockettask_mio::{Client, ConnectOptions, Options};
///
/// let mut client = Client::new(Options::default())?;
/// // Nothing listens on port 1: the task reports onError and ends.
/// let task = client.connect_socket(ConnectOptions::new("wss://127.0.0.1:1/"))?;
/// task.on_open(&mut client, |_, _, _| println!("open"));
/// task.on_error(&mut client, |_, task, error| {
///     println!("task {} failed: {}", task.socket_task_id(), error.err_msg());
/// });
/// client.run()?;
/// # Ok(()) }
/// ```
pub struct Client<T = ()> {
    poll: Poll,
    events: Events,
    driver: Driver,
    listeners: HashMap<SocketTask, Listeners<T>>,
    scratch: Scratch,
    next_token: usize,
    in_listener: bool,
    state: T,
}

impl<T> std::fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("driver", &self.driver).finish_non_exhaustive()
    }
}

impl<T> AsRef<Driver> for Client<T> {
    fn as_ref(&self) -> &Driver {
        &self.driver
    }
}

impl<T> AsMut<Driver> for Client<T> {
    fn as_mut(&mut self) -> &mut Driver {
        &mut self.driver
    }
}

impl Client {
    /// A client with its own `mio::Poll` and five task slots sized by `options`, and no app
    /// state (`T = ()`).
    pub fn new(options: Options) -> Result<Client, SetupError> {
        Client::with_state(options, ())
    }
}

impl<T> Client<T> {
    /// A client like [`Client::new`] that owns `state`: every listener reaches it through the
    /// client it is given, with [`Client::state_mut`], and [`Client::into_state`] gives it
    /// back at the end.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use sockettask_mio::{Client, ConnectOptions, Options};
    ///
    /// #[derive(Default)]
    /// struct App {
    ///     errors: Vec<String>,
    /// }
    ///
    /// let mut client = Client::with_state(Options::default(), App::default())?;
    /// // Nothing listens on port 1: the task reports onError and ends.
    /// let task = client.connect_socket(ConnectOptions::new("wss://127.0.0.1:1/"))?;
    /// task.on_error(&mut client, |client, task, error| {
    ///     let line = format!("task {}: {}", task.socket_task_id(), error.err_msg());
    ///     client.state_mut().errors.push(line);
    /// });
    /// client.run()?;
    /// assert_eq!(client.into_state().errors.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn with_state(options: Options, state: T) -> Result<Client<T>, SetupError> {
        Ok(Client {
            poll: Poll::new()?,
            events: Events::with_capacity(64),
            driver: Driver::new(options)?,
            listeners: HashMap::new(),
            scratch: Scratch::default(),
            next_token: 0,
            in_listener: false,
            state,
        })
    }

    /// The app's state.
    pub fn state(&self) -> &T {
        &self.state
    }

    /// The app's state, to change; listeners reach it through the client they are given.
    pub fn state_mut(&mut self) -> &mut T {
        &mut self.state
    }

    /// Ends the client and gives back the app's state. Tasks still running are dropped with
    /// their sockets, without a closing handshake: run until [`Client::is_idle`] first.
    pub fn into_state(self) -> T {
        self.state
    }

    /// `connectSocket` (S1–S6): checks `options` (each failure is a `fail`: nothing sent,
    /// no event), then starts the task. Add listeners before the next [`Client::poll`].
    ///
    /// The [`ConnectError`] owns what it quotes of `options`, so a URL built at run time goes
    /// through `?` like a literal:
    ///
    /// ```no_run
    /// use sockettask_mio::{Client, ConnectOptions, Options};
    ///
    /// /// Opens a chat task on `host` and runs it to its end.
    /// fn chat(host: &str, room: u32) -> Result<(), Box<dyn std::error::Error>> {
    ///     let mut client = Client::new(Options::default())?;
    ///     let url = format!("wss://{host}/rooms/{room}");
    ///     let task = client.connect_socket(ConnectOptions::new(&url).protocols(&["chat"]))?;
    ///     task.on_message(&mut client, |_, _, message| println!("{message:?}"));
    ///     client.run()?;
    ///     Ok(())
    /// }
    /// # chat("chat.example", 7).unwrap();
    /// ```
    pub fn connect_socket(&mut self, options: ConnectOptions<'_>) -> Result<SocketTask, ConnectError> {
        let token = Token(self.next_token);
        let task = self.driver.connect_socket(self.poll.registry(), options, token)?;
        self.next_token = self.next_token.wrapping_add(1);
        Ok(task)
    }

    /// Runs turns until every task is CLOSED and its last event delivered; returns at once
    /// when there is no task. A task that never ends (a server that keeps the connection
    /// open) keeps it running: [`Client::run_for`] and [`Client::run_until`] return by a
    /// deadline whatever the tasks do.
    pub fn run(&mut self) -> Result<(), PollError> {
        while !self.is_idle() {
            self.poll(None)?;
        }
        Ok(())
    }

    /// Runs turns until nothing is left ([`RunEnd::Idle`]) or `duration` has passed
    /// ([`RunEnd::Deadline`]), whichever comes first.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use sockettask_mio::{Client, ConnectOptions, Options, RunEnd};
    ///
    /// let mut client = Client::new(Options::default())?;
    /// // Nothing listens on port 1: the task fails at once, long before the deadline.
    /// client.connect_socket(ConnectOptions::new("wss://127.0.0.1:1/"))?;
    /// assert_eq!(client.run_for(Duration::from_secs(30))?, RunEnd::Idle);
    /// assert!(client.is_idle());
    /// # Ok(()) }
    /// ```
    pub fn run_for(&mut self, duration: Duration) -> Result<RunEnd, PollError> {
        // A duration too long for the clock has no deadline worth keeping.
        match Instant::now().checked_add(duration) {
            Some(deadline) => self.run_until(deadline),
            None => self.run().map(|()| RunEnd::Idle),
        }
    }

    /// Runs turns until nothing is left ([`RunEnd::Idle`]) or `deadline` has passed
    /// ([`RunEnd::Deadline`]), whichever comes first. No turn waits past the deadline; a
    /// deadline already passed returns at once, without a turn, unless nothing is left.
    pub fn run_until(&mut self, deadline: Instant) -> Result<RunEnd, PollError> {
        loop {
            if self.is_idle() {
                return Ok(RunEnd::Idle);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(RunEnd::Deadline);
            }
            self.poll(Some(left))?;
        }
    }

    /// Whether nothing is left: no task holds a slot (every task CLOSED and its last event
    /// delivered) and no socket is open. [`Client::run`] returns here.
    pub fn is_idle(&self) -> bool {
        self.driver.is_idle()
    }

    /// One turn: delivers the events already due, then waits for readiness (at most
    /// `timeout`, `None` for no limit, and never past the next timer), does the I/O and calls
    /// the listeners of every event that results.
    ///
    /// It never waits for nothing: when the first deliveries end the last task (or there was
    /// none), it returns without waiting; when work is pending (events left over from a
    /// busy turn, a read stopped at its cap, bytes to write), the wait is zero.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Result<(), PollError> {
        if self.in_listener {
            return Err(PollError::Reentrant);
        }
        self.dispatch();
        if self.driver.is_idle() {
            return Ok(());
        }
        let wait = match (timeout, self.driver.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match self.poll.poll(&mut self.events, wait) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PollError::Io(e)),
        }
        for event in self.events.iter() {
            self.driver.handle_readiness(event);
        }
        self.dispatch();
        Ok(())
    }

    /// The driver underneath, for `send`, `close`, `ready_state` without a [`SocketTask`]
    /// method.
    pub fn driver(&mut self) -> &mut Driver {
        &mut self.driver
    }

    fn listeners(&mut self, task: SocketTask) -> &mut Listeners<T> {
        self.listeners.entry(task).or_default()
    }

    /// Delivers the events the driver has, then forgets the listeners of finished tasks.
    fn dispatch(&mut self) {
        for _ in 0..MAX_EVENTS_PER_TURN {
            let Some((task, event)) = self.driver.poll_event(self.poll.registry()) else {
                let driver = &self.driver;
                self.listeners.retain(|task, _| driver.tasks().any(|t| t == *task));
                return;
            };
            let copied = Copied::of(&event, &mut self.scratch);
            let scratch = std::mem::take(&mut self.scratch);
            self.deliver(task, &copied.view(&scratch));
            self.scratch = scratch;
        }
    }

    /// Calls `task`'s listeners for `event`, in the order added.
    fn deliver(&mut self, task: SocketTask, event: &Event<'_>) {
        let Some(mut listeners) = self.listeners.remove(&task) else { return };
        self.in_listener = true;
        match event {
            Event::Open(open) => listeners.open.iter_mut().for_each(|f| f(self, task, open)),
            Event::Message(message) => listeners.message.iter_mut().for_each(|f| f(self, task, *message)),
            Event::Error(error) => listeners.error.iter_mut().for_each(|f| f(self, task, error)),
            Event::Close(close) => listeners.close.iter_mut().for_each(|f| f(self, task, close)),
        }
        self.in_listener = false;
        if let Some(added) = self.listeners.remove(&task) {
            listeners.append(added);
        }
        if !matches!(event, Event::Close(_)) {
            self.listeners.insert(task, listeners);
        }
    }
}

/// The mini-program's listeners on a task, called by the [`Client`] that owns it.
impl SocketTask {
    /// `SocketTask.onOpen`: adds a listener for the successful handshake.
    pub fn on_open<T>(
        self,
        client: &mut Client<T>,
        listener: impl FnMut(&mut Client<T>, SocketTask, &Open<'_>) + 'static,
    ) {
        client.listeners(self).open.push(Box::new(listener));
    }

    /// `SocketTask.onMessage`: adds a listener for whole messages.
    pub fn on_message<T>(
        self,
        client: &mut Client<T>,
        listener: impl FnMut(&mut Client<T>, SocketTask, Message<'_>) + 'static,
    ) {
        client.listeners(self).message.push(Box::new(listener));
    }

    /// `SocketTask.onError`: adds a listener for the task's failure (at most one per task).
    pub fn on_error<T>(
        self,
        client: &mut Client<T>,
        listener: impl FnMut(&mut Client<T>, SocketTask, &TaskError) + 'static,
    ) {
        client.listeners(self).error.push(Box::new(listener));
    }

    /// `SocketTask.onClose`: adds a listener for the task's end (its last event).
    pub fn on_close<T>(
        self,
        client: &mut Client<T>,
        listener: impl FnMut(&mut Client<T>, SocketTask, &Close<'_>) + 'static,
    ) {
        client.listeners(self).close.push(Box::new(listener));
    }
}
