package org.jgan.engine.internal.catalog;

import java.util.concurrent.atomic.AtomicInteger;
import org.jgan.losses.internal.HingeLoss;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A name stands for the registration OSGi would choose, and for the next one when that leaves. */
class ComponentCatalogTest {

    @Test
    void aNameStandsForTheHighestRankingThenTheOldestRegistration() {
        ComponentCatalog c = new ComponentCatalog();
        HingeLoss first = new HingeLoss();
        HingeLoss second = new HingeLoss();
        HingeLoss ranked = new HingeLoss();
        c.add(Kind.LOSS, "hinge", first, "a", "1.0.0", 0, 10);
        c.add(Kind.LOSS, "hinge", second, "b", "2.0.0", 0, 11);
        assertSame(first, c.require(Kind.LOSS, "hinge").component(), "same ranking: the lower service id");
        c.add(Kind.LOSS, "hinge", ranked, "c", "3.0.0", 5, 12);
        assertSame(ranked, c.require(Kind.LOSS, "hinge").component(), "the higher ranking");
        assertEquals(1, c.list(Kind.LOSS).size(), "one entry per name");
        c.remove(Kind.LOSS, "hinge", ranked);
        assertSame(first, c.require(Kind.LOSS, "hinge").component());
        // the later of two registrations leaves: the name still stands for the other (it used to disappear)
        c.remove(Kind.LOSS, "hinge", second);
        assertSame(first, c.require(Kind.LOSS, "hinge").component());
        c.remove(Kind.LOSS, "hinge", first);
        assertTrue(c.find(Kind.LOSS, "hinge").isEmpty());
    }

    @Test
    void theOlderOfTwoLeavingKeepsTheNameOnTheNewer() {
        ComponentCatalog c = new ComponentCatalog();
        HingeLoss older = new HingeLoss();
        HingeLoss newer = new HingeLoss();
        c.add(Kind.LOSS, "hinge", older, "a", "1.0.0");
        c.add(Kind.LOSS, "hinge", newer, "a", "1.1.0");
        c.remove(Kind.LOSS, "hinge", older);
        assertSame(newer, c.require(Kind.LOSS, "hinge").component());
        assertEquals("1.1.0", c.require(Kind.LOSS, "hinge").version());
    }

    @Test
    void listenersHearEveryChangeAndTheCountGrows() {
        ComponentCatalog c = new ComponentCatalog();
        AtomicInteger heard = new AtomicInteger();
        Runnable listener = heard::incrementAndGet;
        c.addListener(listener);
        long before = c.changes();
        HingeLoss h = new HingeLoss();
        c.add(Kind.LOSS, "hinge", h, "a", "1");
        c.remove(Kind.LOSS, "hinge", new HingeLoss()); // not registered: no change
        c.remove(Kind.LOSS, "hinge", h);
        assertEquals(2, heard.get());
        assertEquals(before + 2, c.changes());
        c.removeListener(listener);
        c.add(Kind.LOSS, "hinge", h, "a", "1");
        assertEquals(2, heard.get());
    }
}
