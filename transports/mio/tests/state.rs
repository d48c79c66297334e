//! App state in listeners: a `Client<T>` made by `Client::with_state` hands every listener
//! the client and, through it, `&mut T`, with no `Rc<RefCell<…>>`; `Client::new` still
//! gives a `Client<()>` used exactly as before. Against a loopback echo server; every run is
//! bounded in time.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sockettask_mio::{
    Client, CloseCode, Config, ConnectOptions, Message, Options, RunEnd, Schemes, SocketTask,
};

/// Messages echoed before the client closes.
const ROUNDS: u32 = 5;

/// What the listeners of `echo_rounds` keep.
#[derive(Debug, Default)]
struct App {
    sent: u32,
    received: Vec<String>,
    close: Option<(u16, String)>,
    errors: Vec<String>,
}

fn insecure() -> Options {
    Options { config: Config { schemes: Schemes::AllowInsecure, ..Config::default() }, ..Options::default() }
}

/// Sends the next numbered message, counting it in the state.
fn send_next(client: &mut Client<App>, task: SocketTask) {
    let text = format!("message {}", client.state().sent);
    task.send(client, Message::Text(&text)).unwrap();
    client.state_mut().sent += 1;
}

/// Sends from onOpen and from each onMessage until `ROUNDS` echoes are in, then closes.
fn echo_rounds(client: &mut Client<App>, task: SocketTask) {
    task.on_open(client, |client, task, _| send_next(client, task));
    task.on_message(client, |client, task, message| {
        let Message::Text(text) = message else { panic!("binary echo: {message:?}") };
        client.state_mut().received.push(text.to_owned());
        if client.state().sent < ROUNDS {
            send_next(client, task);
        } else {
            task.close(client, Some(CloseCode(4000)), "done").unwrap();
        }
    });
    task.on_error(client, |client, _, error| client.state_mut().errors.push(error.err_msg().to_string()));
    task.on_close(client, |client, _, close| {
        client.state_mut().close = Some((close.code.0, close.reason.to_owned()));
    });
}

#[test]
fn listeners_count_and_collect_in_the_state() {
    let port = support::spawn_echo(None);
    let mut client = Client::with_state(insecure(), App::default()).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    echo_rounds(&mut client, task);
    assert_eq!(client.state().sent, 0, "nothing sent before the first turn");

    assert_eq!(client.run_for(Duration::from_secs(10)).unwrap(), RunEnd::Idle);

    let app = client.into_state();
    let expected: Vec<String> = (0..ROUNDS).map(|i| format!("message {i}")).collect();
    assert_eq!(app.received, expected);
    assert_eq!(app.sent, ROUNDS);
    assert_eq!(app.close, Some((4000, "done".to_owned())));
    assert!(app.errors.is_empty(), "{:?}", app.errors);
}

/// Two tasks share one state: each listener sees the other's changes.
#[test]
fn tasks_of_one_client_share_its_state() {
    let port = support::spawn_echo(None);
    let mut client = Client::with_state(insecure(), Vec::<(u64, String)>::new()).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    for _ in 0..2 {
        let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
        task.on_open(&mut client, |client, task, _| {
            task.send(client, Message::Text(&format!("from {}", task.socket_task_id()))).unwrap();
        });
        task.on_message(&mut client, |client, task, message| {
            let Message::Text(text) = message else { panic!("binary echo: {message:?}") };
            client.state_mut().push((task.socket_task_id(), text.to_owned()));
            task.close(client, None, "").unwrap();
        });
    }
    assert_eq!(client.run_for(Duration::from_secs(10)).unwrap(), RunEnd::Idle);
    let mut seen = client.into_state();
    seen.sort();
    assert_eq!(seen, vec![(1, "from 1".to_owned()), (2, "from 2".to_owned())]);
}

/// Works with any client, whatever its state.
fn echo_once<T>(client: &mut Client<T>, url: &str, log: &Rc<RefCell<Vec<String>>>) {
    let task = client.connect_socket(ConnectOptions::new(url)).unwrap();
    task.on_open(client, |client, task, _| task.send(client, Message::Text("hi")).unwrap());
    let log = Rc::clone(log);
    task.on_message(client, move |client, task, message| {
        log.borrow_mut().push(format!("{message:?}"));
        task.close(client, None, "").unwrap();
    });
}

/// `Client::new` is a `Client<()>` (the default `Client`), used as before: listeners with
/// `Rc<RefCell<…>>`, and the `SocketTask` methods, `driver` and the run loops.
#[test]
fn client_new_is_a_client_of_unit_used_as_before() {
    let port = support::spawn_echo(None);
    let mut client: Client = Client::new(insecure()).unwrap();
    let _: &mut Client<()> = &mut client;
    assert_eq!(*client.state(), ());
    let url = format!("ws://127.0.0.1:{port}/");
    let log = Rc::new(RefCell::new(Vec::new()));
    echo_once(&mut client, &url, &log);
    assert!(!client.driver().is_idle());
    assert_eq!(client.run_for(Duration::from_secs(10)).unwrap(), RunEnd::Idle);
    assert!(client.is_idle());
    assert_eq!(*log.borrow(), vec![r#"Text("hi")"#.to_owned()]);
    client.into_state();

    // The same helper with a stateful client.
    let mut client = Client::with_state(insecure(), 7u8).unwrap();
    echo_once(&mut client, &url, &log);
    assert_eq!(client.run_for(Duration::from_secs(10)).unwrap(), RunEnd::Idle);
    assert_eq!(log.borrow().len(), 2);
    assert_eq!(client.into_state(), 7);
}
