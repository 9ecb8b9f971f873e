/** The notification endpoint is shared by the Graph connectors (msgraph-shared/notification-listener.ts). */
export { NotificationListener } from '../msgraph-shared/notification-listener.ts';
