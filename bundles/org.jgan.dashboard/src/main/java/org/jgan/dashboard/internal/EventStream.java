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

    /** One connected client. */
    static final class Client {
        private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(CAPACITY);
        private final AtomicLong dropped = new AtomicLong();

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

    Client connect() {
        Client c = new Client();
        clients.add(c);
        return c;
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
