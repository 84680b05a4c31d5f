package org.jgan.dashboard.internal;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server-sent event fan-out: the engine's EventAdmin events, each published once to every connected client's
 * queue. A queue holds at most {@value #CAPACITY} events; when a client reads too slowly the newest events are
 * dropped for it (counted, and it is told so, {@link Client#dropped}), so a slow or stalled browser never makes the
 * runtime queue without bound nor delays the training thread (EventAdmin delivers on its own thread, and
 * {@link #publish} never blocks).
 */
final class EventStream {

    static final int CAPACITY = 256;
    /** Streams open at once (each holds a server thread); more are refused with 503. */
    static final int MAX_CLIENTS = 32;
    private static final String CLOSED = "";

    /** One connected client. */
    static final class Client {
        private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(CAPACITY);
        private final AtomicLong dropped = new AtomicLong();
        private volatile boolean closed;

        /** Whether the stream was closed (the servlet is going): the client's loop ends. */
        boolean closed() {
            return closed;
        }

        void close() {
            closed = true;
            queue.clear();
            queue.offer(CLOSED); // wakes a waiting next()
        }

        /** The next event, or null when none came within the wait. */
        String next(long millis) throws InterruptedException {
            return queue.poll(millis, TimeUnit.MILLISECONDS);
        }

        /** Events dropped for this client so far. */
        long dropped() {
            return dropped.get();
        }

        void offer(String event) {
            if (!queue.offer(event)) {
                dropped.incrementAndGet();
            }
        }
    }

    private final Set<Client> clients = new CopyOnWriteArraySet<>();
    private volatile boolean closed;

    /** A new client, or null when {@link #MAX_CLIENTS} are connected or the stream is closed. */
    synchronized Client connect() {
        if (closed || clients.size() >= MAX_CLIENTS) {
            return null;
        }
        Client c = new Client();
        clients.add(c);
        return c;
    }

    /** Ends every client's stream and refuses new ones. */
    synchronized void close() {
        closed = true;
        clients.forEach(Client::close);
        clients.clear();
    }

    void disconnect(Client c) {
        clients.remove(c);
    }

    int clients() {
        return clients.size();
    }

    /** One SSE message ({@code event: NAME}, {@code data: JSON}) to every client. */
    void publish(String name, String json) {
        String message = "event: " + name + "\ndata: " + json.replace("\n", "\ndata: ") + "\n\n";
        for (Client c : clients) {
            c.offer(message);
        }
    }
}
