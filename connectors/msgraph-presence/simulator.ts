/**
 * The loopback stand-in this connector is tested and demonstrated with: the Graph simulator shared
 * by the Graph family (token endpoint, presence, calendars, directory delta, subscriptions and
 * notifications, throttling), speaking Graph's documented wire format.
 */
export { GraphSimulator, type GraphFault, type SimApp } from '../msgraph-shared/simulator.ts';
