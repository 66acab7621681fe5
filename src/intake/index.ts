export {
  ChangeFeed,
  CHANGES_CURSOR,
  type ChangeFeedOptions,
  type ChangeSource,
  type FeedChange,
} from "./change-feed.js";
