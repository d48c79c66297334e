//! Drives a [`Client`] and records what its listeners see, in order, so a test can compare
//! the whole event sequence of a task with one `assert_eq!`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sockettask_mio::{
    Client, Config, ConnectOptions, Message, Options, ProtocolError, ReadyState, Schemes, SocketTask,
    TaskError,
};

/// One event as a listener saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rec {
    /// `onOpen`, with the subprotocol the server chose.
    Open(Option<String>),
    /// `onMessage` with text.
    Text(String),
    /// `onMessage` with bytes.
    Binary(Vec<u8>),
    /// `onError`.
    Error(TaskError),
    /// `onClose { code, reason }`.
    Close(u16, String),
}

impl Rec {
    /// `onClose { 1006, "abnormal closure" }`: the link dropped without a close frame (S13).
    pub fn abnormal() -> Rec {
        Rec::Close(1006, "abnormal closure".into())
    }

    /// `onClose` with `code` and the fixed reason of `error` ([`ProtocolError::reason`]): what
    /// the client reports when it fails the connection (S13).
    pub fn failed(code: u16, error: ProtocolError) -> Rec {
        Rec::Close(code, error.reason().into())
    }
}

/// The events of one task, shared with its listeners.
#[derive(Clone, Debug, Default)]
pub struct Log(Rc<RefCell<Vec<Rec>>>);

impl Log {
    /// Adds one listener of each kind to `task` that appends to a new log.
    pub fn attach(client: &mut Client, task: SocketTask) -> Log {
        let log = Log::default();
        let l = log.clone();
        task.on_open(client, move |_, _, open| l.push(Rec::Open(open.protocol.map(str::to_owned))));
        let l = log.clone();
        task.on_message(client, move |_, _, message| {
            l.push(match message {
                Message::Text(s) => Rec::Text(s.to_owned()),
                Message::Binary(b) => Rec::Binary(b.to_vec()),
            })
        });
        let l = log.clone();
        task.on_error(client, move |_, _, e| l.push(Rec::Error(*e)));
        let l = log.clone();
        task.on_close(client, move |_, _, c| l.push(Rec::Close(c.code.0, c.reason.to_owned())));
        log
    }

    fn push(&self, rec: Rec) {
        self.0.borrow_mut().push(rec);
    }

    /// The events so far.
    pub fn events(&self) -> Vec<Rec> {
        self.0.borrow().clone()
    }

    /// How many events so far.
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// Whether no event came yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Options allowing `ws://` (the hostile server and plain peers speak no TLS).
pub fn insecure(config: Config) -> Options {
    Options { config: Config { schemes: Schemes::AllowInsecure, ..config }, ..Options::default() }
}

/// Polls `client` in turns of at most 20 ms until `done`; panics after `limit`.
pub fn run_until(client: &mut Client, limit: Duration, mut done: impl FnMut(&mut Client) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(client) {
        assert!(Instant::now() < deadline, "timed out after {limit:?}");
        client.poll(Some(Duration::from_millis(20))).expect("poll");
    }
}

/// Polls until every task is CLOSED and its last event delivered; panics after `limit`.
pub fn run_to_end(client: &mut Client, limit: Duration) {
    run_until(client, limit, |c| c.driver().is_idle());
}

/// Polls until `task` is OPEN (or over); panics after `limit`.
pub fn run_until_open(client: &mut Client, task: SocketTask, limit: Duration) {
    run_until(client, limit, |c| task.ready_state(c) != ReadyState::Connecting);
}

/// Connects one task to `url` with `options`, records it and runs it to its end (within
/// `limit`); returns its events.
pub fn run_one(options: Options, connect: ConnectOptions<'_>, limit: Duration) -> Vec<Rec> {
    let mut client = Client::new(options).expect("client");
    let task = client.connect_socket(connect).expect("connectSocket");
    let log = Log::attach(&mut client, task);
    run_to_end(&mut client, limit);
    assert_eq!(task.ready_state(&client), ReadyState::Closed);
    log.events()
}
