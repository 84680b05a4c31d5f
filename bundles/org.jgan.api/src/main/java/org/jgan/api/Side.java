package org.jgan.api;

/** The two players of the game. */
public enum Side {
    GENERATOR, DISCRIMINATOR
}
