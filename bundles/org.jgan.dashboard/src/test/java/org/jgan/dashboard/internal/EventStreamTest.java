package org.jgan.dashboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A slow client loses events instead of making the runtime queue them without bound or wait for it. */
class EventStreamTest {

    @Test
    void aClientThatDoesNotReadHasEventsDroppedAndTheOthersGetThemAll() throws Exception {
        EventStream stream = new EventStream();
        EventStream.Client stalled = stream.connect();
        EventStream.Client reader = stream.connect();
        int total = EventStream.CAPACITY * 3;
        long t0 = System.nanoTime();
        int read = 0;
        for (int i = 0; i < total; i++) {
            stream.publish("progress", "{\"iteration\":" + i + "}");
            if (reader.next(0) != null) {
                read++;
            }
        }
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "publishing never waits for a client");
        assertEquals(total, read, "the reading client got every event");
        assertEquals(total - EventStream.CAPACITY, stalled.dropped(), "the stalled client's queue stays bounded");
        // what the stalled client still gets is the oldest events, in order, as SSE messages
        assertEquals("event: progress\ndata: {\"iteration\":0}\n\n", stalled.next(0));
        stream.disconnect(stalled);
        stream.disconnect(reader);
        assertEquals(0, stream.clients());
        stream.publish("state", "{}");
        assertNull(reader.next(0), "a disconnected client gets nothing more");
    }

    @Test
    void closingEndsEveryStreamAndTheNumberOfStreamsIsCapped() throws Exception {
        EventStream stream = new EventStream();
        java.util.List<EventStream.Client> clients = new java.util.ArrayList<>();
        for (int i = 0; i < EventStream.MAX_CLIENTS; i++) {
            clients.add(stream.connect());
        }
        assertNull(stream.connect(), "one more than the cap is refused");
        stream.disconnect(clients.remove(0));
        EventStream.Client late = stream.connect();
        assertTrue(late != null, "a freed place is taken again");
        long t0 = System.nanoTime();
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stream.close();
        });
        closer.start();
        late.next(30_000); // woken by the close, not by the 30 s wait
        assertTrue(late.closed() && System.nanoTime() - t0 < 10_000_000_000L, "a waiting client is woken by close");
        closer.join();
        assertNull(stream.connect(), "a closed stream takes no new client");
    }

    @Test
    void aMultiLineJsonStaysOneEvent() throws Exception {
        EventStream stream = new EventStream();
        EventStream.Client c = stream.connect();
        stream.publish("state", "{\n\"a\": 1\n}");
        assertEquals("event: state\ndata: {\ndata: \"a\": 1\ndata: }\n\n", c.next(0));
    }
}
